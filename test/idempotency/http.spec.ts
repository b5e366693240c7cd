import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import express from 'express';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/database';
import { correlationMiddleware } from '../../src/http/correlation';
import { idempotencyMiddleware, sendIdempotent } from '../../src/idempotency/express';
import { createTestDatabase } from '../support/postgres';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * HTTP-level contract: a tiny real Express app per "process" (each with its own pool) wires the
 * gate and the store-first responder exactly as API routes do, on an ephemeral port.
 */
interface App {
  readonly base: string;
  readonly executions: Map<string, number>;
  close(): Promise<void>;
}

async function startApp(db: Knex, shared: Map<string, number>): Promise<App> {
  const app = express();
  app.use(correlationMiddleware);
  app.use(express.json());
  app.use(idempotencyMiddleware({ db, principal: (req) => req.get('x-user-token'), storeHeaders: ['Location'], leaseMs: 5000 }));
  app.post('/api/v1/orders', async (req, res, next) => {
    try {
      const n = (shared.get(req.get('idempotency-key')!) ?? 0) + 1;
      shared.set(req.get('idempotency-key')!, n);
      await sleep(Number(req.query.work ?? 30));
      if (req.body.sku === 'none-left') {
        await sendIdempotent(req, res, { problem: { type: 'https://spareparts-mw.example/problems/out-of-stock', title: 'Out of stock', status: 422, code: 'OUT_OF_STOCK' } });
        return;
      }
      if (req.body.sku === 'shop-down') {
        await sendIdempotent(req, res, { problem: { type: 'https://spareparts-mw.example/problems/upstream', title: 'Shop unavailable', status: 503, code: 'UPSTREAM_DOWN' } });
        return;
      }
      await sendIdempotent(req, res, { statusCode: 201, payload: { orderId: `o-${n}`, sku: req.body.sku }, headers: { Location: `/api/v1/orders/o-${n}`, 'X-Debug': 'x' } });
    } catch (error) {
      next(error);
    }
  });
  app.get('/api/v1/orders', (req, res) => void sendIdempotent(req, res, { payload: [] }));
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    executions: shared,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('idempotency over HTTP (Express + PostgreSQL)', () => {
  let db: Knex;
  let url: string;
  let drop: () => Promise<void>;
  let poolB: Knex;
  let a: App;
  let b: App;
  const executions = new Map<string, number>();
  let n = 0;
  const newKey = (): string => `k-${Date.now()}-${++n}`;

  before(async () => {
    ({ db, url, drop } = await createTestDatabase());
    poolB = createKnex(url, 30);
    a = await startApp(db, executions);
    b = await startApp(poolB, executions);
  });
  after(async () => {
    await a.close();
    await b.close();
    await poolB.destroy();
    await drop();
  });

  const post = (app: App, key: string | undefined, body: unknown, extra: Record<string, string> = {}, query = ''): Promise<Response> =>
    fetch(`${app.base}/api/v1/orders${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-token': 'jwt-of-master-1', ...(key === undefined ? {} : { 'idempotency-key': key }), ...extra },
      body: JSON.stringify(body),
    });

  it('400 problem when the key is missing, and the request is not executed', async () => {
    const res = await post(a, undefined, { sku: 'x' }, { 'x-correlation-id': 'corr-missing' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(res.headers.get('x-correlation-id'), 'corr-missing');
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.code, 'IDEMPOTENCY_KEY_MISSING');
    assert.equal(body.correlation_id, 'corr-missing');
    assert.equal(body.instance, '/api/v1/orders');
  });

  it('400 problem when the key is malformed', async () => {
    const res = await post(a, 'k'.repeat(256), { sku: 'x' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { code: string }).code, 'IDEMPOTENCY_KEY_MALFORMED');
  });

  it('safe methods pass without a key', async () => {
    const res = await fetch(`${a.base}/api/v1/orders`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), []);
  });

  it('replays status, body and stored headers with Idempotent-Replayed, from any process', async () => {
    const key = newKey();
    const first = await post(a, key, { sku: 'DSP-IP11', qty: 1 });
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const firstBody = await first.text();
    for (const app of [a, b]) {
      const again = await post(app, key, { qty: 1, sku: 'DSP-IP11' }, { 'x-correlation-id': 'corr-retry' });
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.headers.get('location'), first.headers.get('location'));
      assert.equal(again.headers.get('content-type'), first.headers.get('content-type'));
      assert.equal(again.headers.get('x-debug'), null, 'headers not chosen for replay are not stored');
      assert.equal(again.headers.get('x-correlation-id'), 'corr-retry', 'a replay carries the retry’s own correlation id');
      assert.equal(await again.text(), firstBody);
    }
    assert.equal(executions.get(key), 1);
  });

  it('replays a stored error response', async () => {
    const key = newKey();
    const first = await post(a, key, { sku: 'none-left' });
    assert.equal(first.status, 422);
    const again = await post(b, key, { sku: 'none-left' });
    assert.equal(again.status, 422);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.headers.get('content-type'), 'application/problem+json');
    assert.equal(((await again.json()) as { code: string }).code, 'OUT_OF_STOCK');
    assert.equal(executions.get(key), 1);
  });

  it('422 when the key is reused for a different payload', async () => {
    const key = newKey();
    assert.equal((await post(a, key, { sku: 'A' })).status, 201);
    const res = await post(a, key, { sku: 'B' });
    assert.equal(res.status, 422);
    assert.equal(((await res.json()) as { code: string }).code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(executions.get(key), 1);
  });

  it('409 with Retry-After while the first request is in flight', async () => {
    const key = newKey();
    const slow = post(a, key, { sku: 'A' }, {}, '?work=400');
    await sleep(100);
    const res = await post(b, key, { sku: 'A' }, {}, '?work=400');
    assert.equal(res.status, 409);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal(((await res.json()) as { code: string }).code, 'IDEMPOTENCY_IN_FLIGHT');
    assert.equal((await slow).status, 201);
    assert.equal(executions.get(key), 1);
  });

  it('a 503 "not done, retry" frees the key so the retry executes', async () => {
    const key = newKey();
    assert.equal((await post(a, key, { sku: 'shop-down' })).status, 503);
    assert.equal((await post(a, key, { sku: 'shop-down' })).status, 503);
    assert.equal(executions.get(key), 2);
  });

  it('100 parallel identical requests with one key over two processes: exactly one execution', async () => {
    const key = newKey();
    const responses = await Promise.all(Array.from({ length: 100 }, (_, k) => post(k % 2 ? a : b, key, { sku: 'BAT-RN9', qty: 2 }, {}, '?work=150')));
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    assert.equal(executions.get(key), 1);
    assert.ok(statuses.some((s) => s === 409), 'requests really overlapped the execution');
    assert.deepEqual(new Set(statuses.filter((s) => s !== 201)), statuses.some((s) => s !== 201) ? new Set([409]) : new Set());
    assert.equal(
      responses.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true').length,
      1,
      'exactly one original answer',
    );
    // Every client retrying afterwards gets the one answer.
    const retried = await Promise.all(Array.from({ length: 20 }, (_, k) => post(k % 2 ? a : b, key, { qty: 2, sku: 'BAT-RN9' }, {}, '?work=150')));
    const bodies = new Set(await Promise.all(retried.map((r) => r.text())));
    assert.equal(bodies.size, 1);
    assert.ok(retried.every((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true'));
    assert.equal(executions.get(key), 1);
  });
});
