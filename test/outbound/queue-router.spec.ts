import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Knex } from 'knex';
import { correlationMiddleware } from '../../src/http/correlation';
import { claimBatch, enqueue, markDead, queueRouter } from '../../src/outbound';
import { createTestDatabase } from '../support/postgres';

describe('outbound queue API (PostgreSQL)', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  let server: Server;
  let base: string;

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_outbound_api'));
    const app = express();
    app.use(correlationMiddleware);
    app.use('/api/v1', queueRouter(db));
    await new Promise<void>((r) => {
      server = app.listen(0, '127.0.0.1', () => r());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  after(async () => {
    await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
    await drop();
  });
  beforeEach(() => db('outbound_deliveries').delete());

  async function deadItem(): Promise<number> {
    const { item } = await enqueue(db, { destination: 'b24', operation: 'tasks.task.add', payload: { orderId: 'A-1' } });
    const [c] = await claimBatch(db, { workerId: 'w', limit: 1, now: new Date(), lockMs: 1000 });
    await markDead(db, c, new Date(), 'HTTP 503');
    return item.id;
  }

  it('GET /queue reports counts and oldest age by destination and state', async () => {
    await deadItem();
    await enqueue(db, { destination: '1c', operation: 'op', payload: {} });
    const body = (await (await fetch(`${base}/queue`)).json()) as { total: number; stats: { destination: string; state: string; count: number }[] };
    assert.equal(body.total, 2);
    assert.deepEqual(body.stats.map((s) => [s.destination, s.state, s.count]), [['1c', 'pending', 1], ['b24', 'dead', 1]]);
  });

  it('lists items with filters and pages, and validates the query as problem+json', async () => {
    for (let i = 0; i < 3; i++) await enqueue(db, { destination: 'b24', operation: 'op', payload: i });
    const page = (await (await fetch(`${base}/queue/items?destination=b24&limit=2`)).json()) as { items: { payload: number }[]; next_cursor: string };
    assert.deepEqual(page.items.map((i) => i.payload), [2, 1]);
    const rest = (await (await fetch(`${base}/queue/items?destination=b24&limit=2&cursor=${page.next_cursor}`)).json()) as { items: unknown[]; next_cursor: null };
    assert.equal(rest.items.length, 1);
    assert.equal(rest.next_cursor, null);
    const bad = await fetch(`${base}/queue/items?state=lost&limit=9999`);
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = (await bad.json()) as { code: string; errors: { pointer: string }[]; correlation_id: string };
    assert.deepEqual(problem.errors.map((e) => e.pointer), ['/query/state', '/query/limit']);
    assert.ok(problem.correlation_id);
  });

  it('POST /queue/:id/replay replays a dead letter once; 409 after, 404 for unknown ids', async () => {
    const id = await deadItem();
    const ok = await fetch(`${base}/queue/${id}/replay`, { method: 'POST' });
    assert.equal(ok.status, 200);
    const item = (await ok.json()) as { state: string; attempt: number; replays: number };
    assert.deepEqual([item.state, item.attempt, item.replays], ['pending', 0, 1]);
    const again = await fetch(`${base}/queue/${id}/replay`, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { code: string }).code, 'DELIVERY_NOT_REPLAYABLE');
    assert.equal((await fetch(`${base}/queue/999999/replay`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`${base}/queue/items/abc`)).status, 400);
    assert.equal(((await (await fetch(`${base}/queue/items/${id}`)).json()) as { id: number }).id, id);
  });
});
