import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/database';
import { begin, complete, purgeExpired, release, type BeginInput, type StoredResponse } from '../../src/idempotency/store';
import { createTestDatabase } from '../support/postgres';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('idempotency store (PostgreSQL)', () => {
  let db: Knex;
  let url: string;
  let drop: () => Promise<void>;
  let n = 0;
  before(async () => {
    ({ db, url, drop } = await createTestDatabase());
  });
  after(() => drop());

  /** A fresh key per test, so tests never see each other's rows. */
  const input = (over: Partial<BeginInput> = {}): BeginInput => ({
    principal: 'sha256:user-1',
    key: `key-${++n}`,
    fingerprint: 'fp-A',
    leaseMs: 30_000,
    ttlMs: 72 * 3600_000,
    ...over,
  });
  const created: StoredResponse = { status: 201, headers: { 'content-type': 'application/json', location: '/orders/42' }, body: Buffer.from('{"id":42}') };

  it('executes a new key once and replays the stored response after completion', async () => {
    const i = input();
    const first = await begin(db, i);
    assert.equal(first.kind, 'execute');
    assert.deepEqual(await complete(db, { ...i, response: created }), { kind: 'stored' });
    const again = await begin(db, i);
    assert.equal(again.kind, 'replay');
    assert.deepEqual(again.kind === 'replay' && again.response, created);
  });

  it('replays a stored error response too', async () => {
    const i = input();
    await begin(db, i);
    const problem: StoredResponse = { status: 422, headers: { 'content-type': 'application/problem+json' }, body: Buffer.from('{"code":"OUT_OF_STOCK"}') };
    await complete(db, { ...i, response: problem });
    const again = await begin(db, i);
    assert.deepEqual(again.kind === 'replay' && again.response, problem);
  });

  it('answers conflict_payload for the same key with a different request, in flight or completed', async () => {
    const i = input();
    await begin(db, i);
    assert.deepEqual(await begin(db, { ...i, fingerprint: 'fp-B' }), { kind: 'conflict_payload' });
    await complete(db, { ...i, response: created });
    assert.deepEqual(await begin(db, { ...i, fingerprint: 'fp-B' }), { kind: 'conflict_payload' });
  });

  it('scopes keys per principal', async () => {
    const i = input();
    assert.equal((await begin(db, i)).kind, 'execute');
    assert.equal((await begin(db, { ...i, principal: 'sha256:user-2', fingerprint: 'other' })).kind, 'execute');
  });

  it('answers in_flight with a short Retry-After while the first execution holds its lease', async () => {
    const i = input();
    await begin(db, i);
    const second = await begin(db, i);
    assert.equal(second.kind, 'in_flight');
    assert.ok(second.kind === 'in_flight' && second.retryAfterSeconds >= 1 && second.retryAfterSeconds <= 2);
  });

  it('lets the next identical request take over a key whose executor died (lease expired)', async () => {
    const i = input({ leaseMs: 150 });
    const first = await begin(db, i);
    assert.equal((await begin(db, i)).kind, 'in_flight');
    await sleep(250);
    const second = await begin(db, i);
    assert.equal(second.kind, 'execute');
    assert.ok(second.kind === 'execute' && first.kind === 'execute' && second.takeover && second.leaseToken !== first.leaseToken);
    const row = await db('idempotency_keys').where({ principal: i.principal, key: i.key }).first();
    assert.equal(row.takeovers, 1);
    // The late first executor can no longer free the key it lost.
    assert.equal(first.kind === 'execute' && (await release(db, { ...i, leaseToken: first.leaseToken })), false);
  });

  it('does not let a different request take over an expired lease', async () => {
    const i = input();
    await begin(db, i);
    await db('idempotency_keys').where({ principal: i.principal, key: i.key }).update({ lease_until: db.raw("now() - interval '1 second'") });
    assert.deepEqual(await begin(db, { ...i, fingerprint: 'fp-B' }), { kind: 'conflict_payload' });
  });

  it('never executes a completed key again, however much later (within its TTL)', async () => {
    const i = input({ leaseMs: 50 });
    await begin(db, i);
    await complete(db, { ...i, response: created });
    await sleep(120);
    // Even with a lease in the past, completed rows are only ever replayed.
    await db('idempotency_keys').where({ principal: i.principal, key: i.key }).update({ lease_until: db.raw("now() - interval '1 hour'") });
    for (let k = 0; k < 3; k++) assert.equal((await begin(db, i)).kind, 'replay');
  });

  it('treats an expired but not yet purged key as new', async () => {
    const i = input();
    await begin(db, i);
    await complete(db, { ...i, response: created });
    await db('idempotency_keys').where({ principal: i.principal, key: i.key }).update({ expires_at: db.raw("now() - interval '1 second'") });
    const again = await begin(db, { ...i, fingerprint: 'fp-new' });
    assert.equal(again.kind, 'execute');
    assert.equal(again.kind === 'execute' && again.takeover, false);
    const row = await db('idempotency_keys').where({ principal: i.principal, key: i.key }).first();
    assert.equal(row.state, 'in_flight');
    assert.equal(row.response_status, null);
    assert.ok(row.expires_at.getTime() > Date.now() + 71 * 3600_000);
  });

  it('first completion wins; a late twin gets the recorded answer', async () => {
    const i = input();
    await begin(db, i);
    assert.deepEqual(await complete(db, { ...i, response: created }), { kind: 'stored' });
    const late = await complete(db, { ...i, response: { status: 500, headers: {}, body: Buffer.from('late') } });
    assert.deepEqual(late, { kind: 'already_completed', response: created });
    assert.deepEqual(await complete(db, { ...i, key: 'never-begun', response: created }), { kind: 'lost' });
  });

  it('release frees an in-flight key for its lease holder only, never a completed one', async () => {
    const i = input();
    const first = await begin(db, i);
    assert.ok(first.kind === 'execute');
    assert.equal(await release(db, { ...i, leaseToken: '00000000-0000-0000-0000-000000000000' }), false);
    assert.equal(await release(db, { ...i, leaseToken: first.leaseToken }), true);
    const second = await begin(db, i);
    assert.equal(second.kind, 'execute');
    await complete(db, { ...i, response: created });
    assert.equal(second.kind === 'execute' && (await release(db, { ...i, leaseToken: second.leaseToken })), false);
    assert.equal((await begin(db, i)).kind, 'replay');
  });

  it('purges expired keys only', async () => {
    const keep = input();
    const old = input();
    await begin(db, keep);
    await begin(db, old);
    await db('idempotency_keys').where({ principal: old.principal, key: old.key }).update({ expires_at: new Date('2026-01-01T00:00:00Z') });
    const purged = await purgeExpired(db, new Date('2026-06-01T00:00:00Z'), 1);
    assert.equal(purged, 1);
    assert.equal((await db('idempotency_keys').where({ key: old.key })).length, 0);
    assert.equal((await db('idempotency_keys').where({ key: keep.key })).length, 1);
    assert.ok((await purgeExpired(db)) >= 0);
  });

  it('refuses nonsensical lease/TTL settings', async () => {
    await assert.rejects(begin(db, input({ leaseMs: 0 })), /leaseMs/);
    await assert.rejects(begin(db, input({ leaseMs: 10_000, ttlMs: 5000 })), /leaseMs/);
  });

  describe('concurrency, real parallel connections', () => {
    let poolA: Knex;
    let poolB: Knex;
    before(() => {
      // Two pools stand for two middleware processes sharing the database.
      poolA = createKnex(url, 25);
      poolB = createKnex(url, 25);
    });
    after(async () => {
      await poolA.destroy();
      await poolB.destroy();
    });

    it('100 parallel begin() with one key: exactly one execute, the rest in_flight', async () => {
      const i = input();
      const results = await Promise.all(Array.from({ length: 100 }, (_, k) => begin(k % 2 ? poolA : poolB, i)));
      assert.equal(results.filter((r) => r.kind === 'execute').length, 1);
      assert.equal(results.filter((r) => r.kind === 'in_flight').length, 99);
    });

    it('100 parallel clients retrying one key until answered: one execution, one answer for all', async () => {
      const i = input();
      let executions = 0;
      const client = async (pool: Knex): Promise<string> => {
        for (;;) {
          const r = await begin(pool, i);
          if (r.kind === 'execute') {
            executions++;
            await sleep(40); // the work
            const mine: StoredResponse = { status: 201, headers: {}, body: Buffer.from(`order-${executions}`) };
            const c = await complete(pool, { ...i, response: mine });
            assert.equal(c.kind, 'stored');
            return mine.body.toString();
          }
          if (r.kind === 'replay') return r.response.body.toString();
          assert.equal(r.kind, 'in_flight');
          await sleep(5 + Math.random() * 10);
        }
      };
      const answers = await Promise.all(Array.from({ length: 100 }, (_, k) => client(k % 2 ? poolA : poolB)));
      assert.equal(executions, 1);
      assert.deepEqual(new Set(answers), new Set(['order-1']));
    });

    it('100 parallel takeovers of one expired lease: exactly one new executor', async () => {
      const i = input();
      await begin(db, i);
      await db('idempotency_keys').where({ principal: i.principal, key: i.key }).update({ lease_until: db.raw("now() - interval '1 second'") });
      const results = await Promise.all(Array.from({ length: 100 }, (_, k) => begin(k % 2 ? poolA : poolB, i)));
      const executed = results.filter((r) => r.kind === 'execute');
      assert.equal(executed.length, 1);
      assert.ok(executed[0].kind === 'execute' && executed[0].takeover);
    });
  });
});

describe('idempotency claim commit mode', () => {
  it('commits the claim asynchronously without leaking the setting to the pooled connection', async () => {
    const { url, drop } = await createTestDatabase();
    const single = createKnex(url, 1); // one connection: whatever the claim set would stay on it
    try {
      const r = await begin(single, { principal: 'p', key: 'k-async', fingerprint: 'f', leaseMs: 1000, ttlMs: 60_000 });
      assert.equal(r.kind, 'execute');
      const shown = await single.raw<{ rows: { synchronous_commit: string }[] }>('show synchronous_commit');
      assert.equal(shown.rows[0].synchronous_commit, 'on', 'the stored answer and side effects still wait for the WAL flush');
    } finally {
      await single.destroy();
      await drop();
    }
  });
});
