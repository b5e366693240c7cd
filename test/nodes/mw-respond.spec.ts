import assert from 'node:assert/strict';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwRespond from '../../nodes/mw-respond/mw-respond';
import { requestFingerprint } from '../../src/idempotency/fingerprint';
import type { IdempotencyContext } from '../../src/idempotency/gate';
import { begin } from '../../src/idempotency/store';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';
import { startHttpIn, type HttpHarness } from '../idempotency/http-in-harness';

type Msg = Record<string, any>;

/** http in → "handler" (helper node driven by the test) → mw-respond → "after". */
const FLOW = [
  { id: 'cfg', type: 'mw-config', name: 'mw', version: 1 },
  { id: 'handler', type: 'helper' },
  { id: 'respond', type: 'mw-respond', mwConfig: 'cfg', releaseStatuses: '429, 503', version: 1, wires: [['after']] },
  { id: 'after', type: 'helper' },
];

describe('mw-respond node', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  let http: HttpHarness;
  let n = 0;

  before(async () => {
    ({ db, drop } = await createTestDatabase());
    http = await startHttpIn('handler');
  });
  after(async () => {
    await http.close();
    await drop();
  });
  afterEach(() => helper.unload());

  async function load(services = testServices(db)): Promise<void> {
    useServices(services);
    await helper.load([registerMwConfig, registerMwRespond], FLOW);
  }

  /** Answers every request through mw-respond after `prepare` shaped the message. */
  function handle(prepare: (msg: Msg) => void | Promise<void>): void {
    helper.getNode('handler').on('input', (msg: Msg) => {
      void Promise.resolve(prepare(msg)).then(() => helper.getNode('respond').receive(msg));
    });
  }

  /** A context exactly as mw-idempotency would set it, for a key claimed in the test database. */
  async function claim(): Promise<IdempotencyContext> {
    const key = `respond-${++n}`;
    const fingerprint = requestFingerprint({ method: 'POST', path: '/api/v1/orders', principal: 'p', body: { n } });
    const r = await begin(db, { principal: 'p', key, fingerprint, leaseMs: 30_000, ttlMs: 3600_000 });
    assert.ok(r.kind === 'execute');
    return { principal: 'p', key, fingerprint, leaseToken: r.leaseToken, leaseMs: 30_000, storeHeaders: ['location'], takeover: false };
  }

  const row = (ctx: IdempotencyContext): Promise<Msg | undefined> => db('idempotency_keys').where({ principal: ctx.principal, key: ctx.key }).first();

  it('sends msg.payload as JSON with msg.statusCode, msg.headers and X-Correlation-Id, then passes msg on', async () => {
    await load();
    handle((msg) => {
      msg.statusCode = 202;
      msg.headers = { 'X-Queue': 'b24' };
      msg.payload = { accepted: true, text: 'Дисплей' };
    });
    const after = new Promise<Msg>((resolve) => helper.getNode('after').on('input', resolve));
    const res = await fetch(`${http.base}/api/v1/orders`, { method: 'POST', headers: { 'x-correlation-id': 'corr-42', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('x-queue'), 'b24');
    assert.equal(res.headers.get('x-correlation-id'), 'corr-42');
    assert.deepEqual(await res.json(), { accepted: true, text: 'Дисплей' });
    assert.deepEqual((await after).response, { status: 202, outcome: 'sent' });
  });

  it('sends msg.problem as application/problem+json with correlation id and instance', async () => {
    await load();
    handle((msg) => {
      msg.payload = { ignored: true };
      msg.problem = { type: 'https://spareparts-mw.example/problems/validation', title: 'Invalid order', status: 400, code: 'VALIDATION_FAILED', errors: [{ pointer: '/qty', message: 'must be ≥ 1' }] };
    });
    const res = await fetch(`${http.base}/api/v1/orders?x=1`, { method: 'POST', headers: { 'x-correlation-id': 'corr-p', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const body = (await res.json()) as Msg;
    assert.equal(body.correlation_id, 'corr-p');
    assert.equal(body.instance, '/api/v1/orders');
    assert.deepEqual(body.errors, [{ pointer: '/qty', message: 'must be ≥ 1' }]);
  });

  it('records the answer as completed before the client can see it', async () => {
    await load();
    const ctx = await claim();
    // The order of events as they happen: the UPDATE's answer from PostgreSQL vs. res.end().
    const events: string[] = [];
    const onQuery = (_r: unknown, q: { sql: string }): void => {
      if (/^\s*update idempotency_keys/.test(q.sql)) events.push('stored');
    };
    db.on('query-response', onQuery);
    handle((msg) => {
      msg.idempotency = ctx;
      msg.statusCode = 201;
      msg.headers = { Location: '/api/v1/orders/9' };
      msg.payload = { id: 9 };
      const res = msg.res._res;
      const end = res.end.bind(res);
      res.end = (...args: unknown[]) => {
        events.push('sent');
        return end(...args);
      };
    });
    const res = await fetch(`${http.base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    db.off('query-response', onQuery);
    assert.equal(res.status, 201);
    assert.deepEqual(events, ['stored', 'sent']);
    const stored = await row(ctx);
    assert.equal(stored?.state, 'completed');
    assert.equal(stored?.response_status, 201);
    assert.deepEqual(stored?.response_headers, { 'content-type': 'application/json; charset=utf-8', location: '/api/v1/orders/9' });
    assert.equal(stored?.response_body.toString(), '{"id":9}');
  });

  it('stores error answers too, but frees the key on 503/429 ("nothing done, retry")', async () => {
    await load();
    const refused = await claim();
    const unavailable = await claim();
    handle((msg) => {
      const ctx = msg.req.query.which === 'refused' ? refused : unavailable;
      msg.idempotency = ctx;
      msg.problem = ctx === refused ? { type: 'about:blank', title: 'Pickup orders cannot go to B24', status: 409, code: 'PICKUP_ORDER' } : { type: 'about:blank', title: 'Shop down', status: 503, code: 'UPSTREAM_DOWN' };
    });
    const post = (which: string): Promise<Response> => fetch(`${http.base}/api/v1/orders?which=${which}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal((await post('refused')).status, 409);
    assert.equal((await row(refused))?.state, 'completed');
    assert.equal((await post('unavailable')).status, 503);
    assert.equal(await row(unavailable), undefined, 'the key was released');
  });

  it('withholds the answer when it cannot be recorded: 503 instead of an unrepeatable success', async () => {
    const ctx = await claim();
    const unreachable = knexFactory({ client: 'pg', connection: 'postgres://x:y@127.0.0.1:1/none', pool: { min: 0, max: 1 }, acquireConnectionTimeout: 500, log: { warn() {}, error() {} } });
    await load(testServices(unreachable));
    handle((msg) => {
      msg.idempotency = ctx;
      msg.statusCode = 201;
      msg.payload = { id: 'must-not-leak' };
    });
    const res = await fetch(`${http.base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 503);
    const body = (await res.json()) as Msg;
    assert.equal(body.code, 'IDEMPOTENCY_UNAVAILABLE');
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal((await row(ctx))?.state, 'in_flight', 'the key stays claimed until its lease runs out');
    await unreachable.destroy();
  });

  it('does nothing (and raises nothing) when the response was already sent', async () => {
    await load();
    const warnings: unknown[] = [];
    handle((msg) => {
      msg.res._res.status(204).end();
      const node = helper.getNode('respond') as unknown as { warn: (m: unknown) => void };
      const warn = node.warn.bind(node);
      node.warn = (m: unknown) => {
        warnings.push(m);
        warn(m);
      };
    });
    const res = await fetch(`${http.base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 204);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(warnings.length, 1);
  });
});
