import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import {
  claimBatch,
  DeliveryNotFoundError,
  DeliveryNotReplayableError,
  enqueue,
  getDelivery,
  listQueue,
  markDead,
  markDelivered,
  purgeDelivered,
  queueStats,
  replayDead,
} from '../../src/outbound';
import { createTestDatabase } from '../support/postgres';

describe('outbound queue (PostgreSQL)', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  const T0 = Date.parse('2026-11-26T09:00:00Z');
  const at = (ms: number): Date => new Date(T0 + ms);

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_outbound_q'));
  });
  after(() => drop());
  beforeEach(() => db('outbound_deliveries').delete());

  it('creates the table with its claim index', async () => {
    const idx = await db.raw<{ rows: { indexdef: string }[] }>(`select indexdef from pg_indexes where tablename = 'outbound_deliveries'`);
    assert.ok(idx.rows.some((r) => /\(state, next_attempt_at\)/.test(r.indexdef)));
  });

  it('enqueue is idempotent on the key, also under concurrent calls', async () => {
    const input = { destination: 'b24', operation: 'tasks.task.add', payload: { orderId: 'A-1' }, correlationId: 'c-1', idempotencyKey: 'b24:A-1', now: at(0) };
    const results = await Promise.all(Array.from({ length: 20 }, () => enqueue(db, input)));
    assert.equal(new Set(results.map((r) => r.item.id)).size, 1);
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.ok(results.every((r) => r.payloadMatches));
    const other = await enqueue(db, { ...input, payload: { orderId: 'A-2' } });
    assert.deepEqual([other.created, other.payloadMatches, other.item.id], [false, false, results[0].item.id]);
    assert.equal(Number((await db('outbound_deliveries').count({ n: '*' }))[0].n), 1);
    // Without a key every call is a new item.
    await enqueue(db, { ...input, idempotencyKey: undefined });
    await enqueue(db, { ...input, idempotencyKey: undefined });
    assert.equal(Number((await db('outbound_deliveries').count({ n: '*' }))[0].n), 3);
  });

  it('stores the item as queued: pending, attempt 0, due now, deadline in 24 h', async () => {
    const { item } = await enqueue(db, { destination: '1c', operation: 'Document_ЗаказКлиента', payload: { Товары: [{ LineNumber: 1 }] }, now: at(0) });
    assert.equal(item.state, 'pending');
    assert.equal(item.attempt, 0);
    assert.equal(item.nextAttemptAt.getTime(), T0);
    assert.equal(item.deadlineAt.getTime(), T0 + 24 * 3600_000);
    assert.deepEqual(item.payload, { Товары: [{ LineNumber: 1 }] });
    assert.equal(typeof item.id, 'number');
  });

  it('claims only due items, locks them, and a second claimer skips them', async () => {
    await enqueue(db, { destination: 'b24', operation: 'op', payload: 1, now: at(0) });
    await enqueue(db, { destination: 'b24', operation: 'op', payload: 2, now: at(0), notBefore: at(60_000) });
    const first = await claimBatch(db, { workerId: 'w1', limit: 10, now: at(1000), lockMs: 120_000 });
    assert.deepEqual(first.map((i) => [i.payload, i.state, i.attempt, i.lockedBy]), [[1, 'in_progress', 1, 'w1']]);
    assert.equal(first[0].lockedUntil?.getTime(), T0 + 121_000);
    assert.deepEqual(await claimBatch(db, { workerId: 'w2', limit: 10, now: at(2000), lockMs: 30_000 }), []);
    const later = await claimBatch(db, { workerId: 'w2', limit: 10, now: at(60_000), lockMs: 30_000 });
    assert.deepEqual(later.map((i) => i.payload), [2]);
  });

  it('reclaims an expired lock after a crash, and the crashed worker can no longer write', async () => {
    await enqueue(db, { destination: 'b24', operation: 'op', payload: 'x', now: at(0) });
    const [crashed] = await claimBatch(db, { workerId: 'dead-worker', limit: 1, now: at(0), lockMs: 30_000 });
    assert.deepEqual(await claimBatch(db, { workerId: 'w2', limit: 1, now: at(29_999), lockMs: 30_000 }), []);
    const [reclaimed] = await claimBatch(db, { workerId: 'w2', limit: 1, now: at(30_000), lockMs: 30_000 });
    assert.equal(reclaimed.id, crashed.id);
    assert.equal(reclaimed.attempt, 2, 'the crashed attempt counts');
    assert.equal(await markDelivered(db, crashed, at(30_001), 200), undefined, 'fenced out');
    const done = await markDelivered(db, reclaimed, at(30_002), 201);
    assert.equal(done?.state, 'delivered');
    assert.equal(done?.lastStatus, 201);
  });

  it('claims per destination and skips destinations with an open breaker', async () => {
    for (const destination of ['b24', '1c', 'tg']) await enqueue(db, { destination, operation: 'op', payload: destination, now: at(0) });
    const only = await claimBatch(db, { workerId: 'w', limit: 10, now: at(0), lockMs: 1000, destinations: ['1c'] });
    assert.deepEqual(only.map((i) => i.destination), ['1c']);
    const skip = await claimBatch(db, { workerId: 'w', limit: 10, now: at(0), lockMs: 1000, skipDestinations: ['b24'] });
    assert.deepEqual(skip.map((i) => i.destination), ['tg']);
  });

  it('replays a dead letter with attempt reset, due now and a fresh window; refuses other states', async () => {
    const { item } = await enqueue(db, { destination: 'b24', operation: 'op', payload: {}, now: at(0) });
    const [claimed] = await claimBatch(db, { workerId: 'w', limit: 1, now: at(0), lockMs: 1000 });
    await assert.rejects(replayDead(db, item.id), (e: unknown) => e instanceof DeliveryNotReplayableError && e.state === 'in_progress' && e.code === 'DELIVERY_NOT_REPLAYABLE');
    await markDead(db, claimed, at(10), 'HTTP 503');
    const replayed = await replayDead(db, item.id, { now: at(86_400_000 * 2) });
    assert.deepEqual(
      [replayed.state, replayed.attempt, replayed.replays, replayed.deadAt, replayed.nextAttemptAt.getTime(), replayed.deadlineAt.getTime()],
      ['pending', 0, 1, null, T0 + 2 * 86_400_000, T0 + 3 * 86_400_000],
    );
    assert.equal(replayed.lastError, 'HTTP 503', 'the last error stays for the record');
    await assert.rejects(replayDead(db, item.id), DeliveryNotReplayableError);
    await assert.rejects(replayDead(db, 987654), DeliveryNotFoundError);
  });

  it('reports counts and oldest age by destination and state', async () => {
    await enqueue(db, { destination: 'b24', operation: 'op', payload: 1, now: at(0) });
    await enqueue(db, { destination: 'b24', operation: 'op', payload: 2, now: at(30_000) });
    await enqueue(db, { destination: '1c', operation: 'op', payload: 3, now: at(50_000) });
    const [c] = await claimBatch(db, { workerId: 'w', limit: 1, now: at(60_000), lockMs: 1000, destinations: ['1c'] });
    await markDead(db, c, at(60_000), 'x');
    const stats = await queueStats(db, { now: at(100_000) });
    assert.deepEqual(stats, [
      { destination: '1c', state: 'dead', count: 1, oldestAgeSeconds: 50 },
      { destination: 'b24', state: 'pending', count: 2, oldestAgeSeconds: 100 },
    ]);
    assert.deepEqual((await queueStats(db, { now: at(100_000), destination: 'b24' })).map((s) => s.state), ['pending']);
  });

  it('lists newest first with filters and a cursor', async () => {
    for (let i = 0; i < 7; i++) await enqueue(db, { destination: i % 2 ? 'b24' : '1c', operation: 'op', payload: i, now: at(i) });
    const page1 = await listQueue(db, { destination: '1c', limit: 3 });
    assert.deepEqual(page1.items.map((i) => i.payload), [6, 4, 2]);
    assert.ok(page1.nextCursor);
    const page2 = await listQueue(db, { destination: '1c', limit: 3, cursor: page1.nextCursor });
    assert.deepEqual(page2.items.map((i) => i.payload), [0]);
    assert.equal(page2.nextCursor, undefined);
    assert.equal((await listQueue(db, { state: 'dead' })).items.length, 0);
    await assert.rejects(listQueue(db, { cursor: 'bad!' }), RangeError);
  });

  it('purges delivered items past retention', async () => {
    const { item } = await enqueue(db, { destination: 'b24', operation: 'op', payload: 1, now: at(0) });
    const [c] = await claimBatch(db, { workerId: 'w', limit: 1, now: at(0), lockMs: 1000 });
    await markDelivered(db, c, at(1));
    assert.equal(await purgeDelivered(db, 3600_000, { now: at(1000) }), 0);
    assert.equal(await purgeDelivered(db, 3600_000, { now: at(3600_002) }), 1);
    assert.equal(await getDelivery(db, item.id), undefined);
  });
});
