import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import knexFactory from 'knex';
import type { JournalEntry } from '../../src/journal/entry';
import { applyRetention, ensurePartitions, journalMaintenance, listPartitions } from '../../src/journal/partitions';
import { JournalCursorError, queryJournal } from '../../src/journal/query';
import { journalStats } from '../../src/journal/stats';
import { writeJournal } from '../../src/journal/write';
import { acquireJournalWriter, JournalWriter } from '../../src/journal/writer';
import { createTestDatabase } from '../support/postgres';

const entry = (over: Partial<JournalEntry> = {}): JournalEntry => ({
  system: 'shop',
  operation: 'order.create',
  direction: 'out',
  status: 'ok',
  ...over,
});

async function partitionOf(db: Knex, correlationId: string): Promise<string[]> {
  const r = await db.raw<{ rows: { p: string }[] }>('select tableoid::regclass::text as p from integration_journal where correlation_id = ? order by ts', [correlationId]);
  return r.rows.map((x) => x.p);
}

describe('integration journal (PostgreSQL)', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ db, drop } = await createTestDatabase());
  });
  afterEach(() => drop());

  it('stores the masked body, never the phone or address, with the hash of the original', async () => {
    const body = {
      orderId: 'B-1001',
      customer: { phone: '+7 912 345-67-89', comment: 'Перезвоните на 8 (912) 345-67-89, доставка ул. Ленина, д. 5, кв. 12' },
      deliveryAddress: 'г. Казань, ул. Баумана, 10',
    };
    await writeJournal(db, entry({ correlationId: 'c-mask', body, httpStatus: 201, durationMs: 87 }));
    const raw = await db.raw<{ rows: { body: unknown; body_text: string; body_sha256: string }[] }>(
      "select body, body::text as body_text, body_sha256 from integration_journal where correlation_id = 'c-mask'",
    );
    const stored = raw.rows[0];
    for (const leaked of ['345-67', '912', 'Ленина', 'Баумана']) assert.ok(!stored.body_text.includes(leaked), `${leaked} reached the database: ${stored.body_text}`);
    assert.deepEqual(stored.body, {
      orderId: 'B-1001',
      customer: { phone: '[скрыто]', comment: 'Перезвоните на +*** ***-**-89, доставка [адрес скрыт]' },
      deliveryAddress: '[скрыто]',
    });
    assert.equal(stored.body_sha256, createHash('sha256').update(JSON.stringify(body)).digest('hex'));
  });

  it('routes records to monthly partitions; stray rows in the default partition are moved out later', async () => {
    assert.deepEqual(await ensurePartitions(db, new Date('2026-03-15T00:00:00Z'), 2), ['integration_journal_p202603', 'integration_journal_p202604', 'integration_journal_p202605']);
    assert.deepEqual(await ensurePartitions(db, new Date('2026-03-20T00:00:00Z'), 2), [], 'idempotent');
    await writeJournal(db, [
      entry({ correlationId: 'c-route', ts: new Date('2026-03-31T23:59:59.999Z') }),
      entry({ correlationId: 'c-route', ts: new Date('2026-04-01T00:00:00Z') }),
      entry({ correlationId: 'c-route', ts: new Date('2025-01-10T00:00:00Z') }),
    ]);
    assert.deepEqual((await partitionOf(db, 'c-route')).sort(), ['integration_journal_default', 'integration_journal_p202603', 'integration_journal_p202604']);

    const created = await ensurePartitions(db, new Date('2026-03-20T00:00:00Z'), 2);
    assert.deepEqual(created, ['integration_journal_p202501']);
    assert.deepEqual((await partitionOf(db, 'c-route')).sort(), ['integration_journal_p202501', 'integration_journal_p202603', 'integration_journal_p202604']);
    const left = await db.raw<{ rows: { n: string }[] }>('select count(*) as n from integration_journal_default');
    assert.equal(left.rows[0].n, '0');
    // The moved partition is a real partition: it has the parent's indexes and prunes.
    const idx = await db.raw<{ rows: unknown[] }>("select 1 from pg_indexes where tablename = 'integration_journal_p202501'");
    assert.ok(idx.rows.length >= 3);
  });

  it('retention drops whole old partitions and nulls old bodies, keeping their hash', async () => {
    await ensurePartitions(db, new Date('2026-01-01T00:00:00Z'), 11);
    const days = (d: number): Date => new Date(Date.parse('2026-12-15T00:00:00Z') - d * 86_400_000);
    const body = { sku: 'DSP-A51' };
    await writeJournal(db, [
      entry({ correlationId: 'r-200d', ts: days(200), body }),
      entry({ correlationId: 'r-170d', ts: days(170), body }),
      entry({ correlationId: 'r-100d', ts: days(100), body }),
      entry({ correlationId: 'r-80d', ts: days(80), body }),
      entry({ correlationId: 'r-1d', ts: days(1), body }),
    ]);
    const result = await applyRetention(db, new Date('2026-12-15T00:00:00Z'), { bodyDays: 90, recordDays: 180 });
    // 180 days before 2026-12-15 is 2026-06-18: January to May end before it; June does not.
    assert.deepEqual(result.droppedPartitions, ['integration_journal_p202601', 'integration_journal_p202602', 'integration_journal_p202603', 'integration_journal_p202604', 'integration_journal_p202605']);
    assert.equal(result.nulledBodies, 2);
    const rows = await db('integration_journal').select('correlation_id', 'body', 'body_sha256').orderBy('ts');
    assert.deepEqual(rows.map((r) => r.correlation_id), ['r-170d', 'r-100d', 'r-80d', 'r-1d']);
    assert.deepEqual(rows.map((r) => r.body), [null, null, body, body]);
    assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r.body_sha256)));
    assert.ok(!(await listPartitions(db)).some((p) => p.name === 'integration_journal_p202605'));
    await assert.rejects(applyRetention(db, new Date(), { bodyDays: 200, recordDays: 180 }), /bodyDays/);

    // The daily job a month later: next partitions ahead, June dropped now that it is all > 180 days old.
    const job = await journalMaintenance(db, new Date('2027-01-15T00:00:00Z'));
    assert.deepEqual(job.createdPartitions, ['integration_journal_p202701', 'integration_journal_p202702', 'integration_journal_p202703']);
    assert.deepEqual(job.droppedPartitions, ['integration_journal_p202606']);
  });

  it('pages newest first with a keyset cursor: no row skipped or repeated, even with equal timestamps', async () => {
    const same = new Date('2026-11-20T10:00:00.123Z');
    const entries: JournalEntry[] = [];
    for (let i = 0; i < 23; i++) entries.push(entry({ system: i % 2 ? 'b24' : 'shop', correlationId: `p-${i}`, ts: i < 10 ? same : new Date(same.getTime() + i * 1000) }));
    await writeJournal(db, entries);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queryJournal(db, { limit: 5, cursor });
      seen.push(...page.items.map((r) => r.correlationId!));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    assert.equal(pages, 5);
    assert.equal(seen.length, 23);
    assert.equal(new Set(seen).size, 23);
    assert.equal(seen[0], 'p-22', 'newest first');

    const b24 = await queryJournal(db, { system: 'b24', limit: 100 });
    assert.equal(b24.items.length, 11);
    assert.equal(b24.nextCursor, null);
    const one = await queryJournal(db, { correlationId: 'p-3' });
    assert.equal(one.items.length, 1);
    assert.equal(one.items[0].system, 'b24');
    const window = await queryJournal(db, { since: new Date(same.getTime() + 15_000), until: new Date(same.getTime() + 20_000) });
    assert.deepEqual(window.items.map((r) => r.correlationId), ['p-19', 'p-18', 'p-17', 'p-16', 'p-15']);
    await assert.rejects(queryJournal(db, { cursor: 'not-a-cursor' }), JournalCursorError);
  });

  describe('batching writer', () => {
    it('writes a full batch at once and the rest on its timer', async () => {
      const writer = new JournalWriter(db, { maxBatch: 10, flushIntervalMs: 50 });
      const count = async (): Promise<string> => (await db('integration_journal').count<{ n: string }[]>('* as n'))[0].n;
      for (let i = 0; i < 10; i++) writer.write(entry({ correlationId: `w-${i}` }));
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(await count(), '10', 'a full batch goes at once');
      for (let i = 10; i < 13; i++) writer.write(entry({ correlationId: `w-${i}` }));
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(await count(), '10', 'a partial batch waits for the timer');
      await new Promise((r) => setTimeout(r, 120));
      assert.equal(await count(), '13');
      await writer.close();
    });

    it('loses nothing on shutdown: close() flushes what is buffered', async () => {
      const writer = new JournalWriter(db, { maxBatch: 1000, flushIntervalMs: 60_000 });
      for (let i = 0; i < 250; i++) writer.write(entry({ correlationId: `s-${i}` }));
      assert.equal(writer.pending, 250);
      await writer.close();
      assert.equal(writer.pending, 0);
      assert.equal((await db('integration_journal').count<{ n: string }[]>('* as n'))[0].n, '250');
    });

    it('drops only the row the database refuses, and counts the error', async () => {
      const before = journalStats();
      const writer = new JournalWriter(db, { maxBatch: 100, flushIntervalMs: 60_000 });
      writer.write(entry({ correlationId: 'ok-1' }));
      writer.write(entry({ correlationId: 'refused', ts: new Date(-8.64e15) })); // before 4713 BC: out of PostgreSQL's range
      writer.write(entry({ correlationId: 'ok-2' }));
      await writer.close();
      const ids = (await db('integration_journal').select('correlation_id').orderBy('correlation_id')).map((r) => r.correlation_id);
      assert.deepEqual(ids, ['ok-1', 'ok-2']);
      const after = journalStats();
      assert.ok(after.writeErrors >= before.writeErrors + 2, 'the batch and the bad row');
      assert.equal(after.dropped, before.dropped + 1);
      assert.equal(after.written, before.written + 2);
    });

    it('keeps rows buffered while the database is unreachable', async () => {
      // Quiet knex: its own connection-error logging is expected noise here.
      const down = knexFactory({ client: 'pg', connection: 'postgres://nobody:x@127.0.0.1:1/none', pool: { min: 0, max: 1 }, log: { warn() {}, error() {} } });
      const errors: boolean[] = [];
      const writer = new JournalWriter(down, { maxBatch: 5, flushIntervalMs: 10, onError: (_e, c) => errors.push(c.transient) });
      const before = journalStats();
      for (let i = 0; i < 3; i++) writer.write(entry());
      await writer.flush();
      assert.equal(writer.pending, 3);
      assert.deepEqual(errors, [true]);
      assert.equal(journalStats().dropped, before.dropped);
      assert.ok(journalStats().writeErrors > before.writeErrors);
      await down.destroy();
    });

    it('is shared per database; the last user closes it', async () => {
      const a = acquireJournalWriter(db, { flushIntervalMs: 60_000 });
      const b = acquireJournalWriter(db);
      assert.equal(a.writer, b.writer);
      a.writer.write(entry({ correlationId: 'shared-1' }));
      await a.release();
      assert.equal((await queryJournal(db, { correlationId: 'shared-1' })).items.length, 1, 'a release flushes');
      b.writer.write(entry({ correlationId: 'shared-2' }));
      await b.release();
      assert.equal((await queryJournal(db, { correlationId: 'shared-2' })).items.length, 1);
      const c = acquireJournalWriter(db);
      assert.notEqual(c.writer, a.writer);
      await c.release();
    });
  });
});
