import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwIdempotency from '../../nodes/mw-idempotency/mw-idempotency';
import registerMwRespond from '../../nodes/mw-respond/mw-respond';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';
import { startHttpIn, type HttpHarness } from '../idempotency/http-in-harness';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Msg = Record<string, any>;

/** http in → mw-idempotency → "work" (a helper node driven by the test) → mw-respond. */
function flow(gate: Record<string, unknown> = {}): object[] {
  return [
    { id: 'cfg', type: 'mw-config', name: 'mw', version: 1 },
    { id: 'gate', type: 'mw-idempotency', mwConfig: 'cfg', ttlHours: 72, leaseSeconds: 30, principalProperty: 'req.headers.x-user-token', hashPrincipal: true, storeHeaders: 'Location', version: 1, wires: [['work']], ...gate },
    { id: 'work', type: 'helper' },
    { id: 'respond', type: 'mw-respond', mwConfig: 'cfg', releaseStatuses: '429, 503', version: 1, wires: [[]] },
  ];
}

describe('mw-idempotency node', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  let http: HttpHarness;
  let executions: number;
  let n = 0;
  const key = (): string => `node-key-${++n}`;

  before(async () => {
    ({ db, drop } = await createTestDatabase());
    http = await startHttpIn('gate');
  });
  after(async () => {
    await http.close();
    await drop();
  });
  afterEach(() => helper.unload());

  /** Loads the flow; the "work" step counts executions and answers 201 after `workMs`. */
  async function load(gate: Record<string, unknown> = {}, workMs = 30): Promise<void> {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwIdempotency, registerMwRespond], flow(gate));
    executions = 0;
    helper.getNode('work').on('input', (msg: Msg) => {
      executions++;
      void sleep(workMs).then(() => {
        msg.statusCode = 201;
        msg.headers = { Location: `/api/v1/orders/${executions}` };
        msg.payload = { orderId: executions, sku: msg.payload.sku };
        helper.getNode('respond').receive(msg);
      });
    });
  }

  const post = (k: string | undefined, body: unknown, token = 'jwt-master-1'): Promise<Response> =>
    fetch(`${http.base}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-token': token, ...(k ? { 'idempotency-key': k } : {}) },
      body: JSON.stringify(body),
    });

  it('answers 400 problems for a missing or malformed key and passes nothing on', async () => {
    await load();
    const missing = await post(undefined, { sku: 'A' });
    assert.equal(missing.status, 400);
    assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const body = (await missing.json()) as Msg;
    assert.equal(body.code, 'IDEMPOTENCY_KEY_MISSING');
    assert.equal(body.correlation_id, missing.headers.get('x-correlation-id'));
    const malformed = await post('two words', { sku: 'A' });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as Msg).code, 'IDEMPOTENCY_KEY_MALFORMED');
    assert.equal(executions, 0);
  });

  it('passes the one execution on with msg.idempotency, and replays the answer after', async () => {
    await load();
    let seen: Msg | undefined;
    helper.getNode('work').on('input', (msg: Msg) => (seen = msg));
    const k = key();
    const first = await post(k, { sku: 'DSP-1' });
    assert.equal(first.status, 201);
    assert.deepEqual(Object.keys(seen!.idempotency).sort(), ['fingerprint', 'key', 'leaseMs', 'leaseToken', 'principal', 'storeHeaders', 'takeover']);
    assert.match(seen!.idempotency.principal, /^sha256:/, 'the user token is stored hashed');
    const firstBody = await first.text();
    const again = await post(k, { sku: 'DSP-1' });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.headers.get('location'), '/api/v1/orders/1');
    assert.equal(await again.text(), firstBody);
    assert.equal(executions, 1);
  });

  it('answers 422 for the key reused with a different body and 409 while the first is running', async () => {
    await load({}, 300);
    const k = key();
    const slow = post(k, { sku: 'A' });
    await sleep(80);
    const dup = await post(k, { sku: 'A' });
    assert.equal(dup.status, 409);
    assert.ok(Number(dup.headers.get('retry-after')) >= 1);
    const other = await post(k, { sku: 'B' });
    assert.equal(other.status, 422);
    assert.equal(((await other.json()) as Msg).code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal((await slow).status, 201);
    assert.equal(executions, 1);
  });

  it('scopes keys per principal', async () => {
    await load();
    const k = key();
    assert.equal((await post(k, { sku: 'A' }, 'jwt-master-1')).headers.get('idempotent-replayed'), null);
    assert.equal((await post(k, { sku: 'A' }, 'jwt-master-2')).headers.get('idempotent-replayed'), null);
    assert.equal(executions, 2);
  });

  it('a request whose executor vanished is taken over after the lease', async () => {
    await load({ leaseSeconds: 1 });
    const k = key();
    // The first execution never answers (its process "died"): the client times out.
    helper.getNode('work').removeAllListeners('input');
    helper.getNode('work').on('input', () => executions++);
    const lost = post(k, { sku: 'A' }).catch(() => undefined);
    await sleep(100);
    assert.equal((await post(k, { sku: 'A' })).status, 409);
    await sleep(1000);
    helper.getNode('work').removeAllListeners('input');
    helper.getNode('work').on('input', (msg: Msg) => {
      executions++;
      msg.statusCode = 201;
      msg.payload = { ok: true };
      helper.getNode('respond').receive(msg);
    });
    const retried = await post(k, { sku: 'A' });
    assert.equal(retried.status, 201);
    assert.equal(executions, 2);
    void lost;
  });

  it('100 parallel identical requests through the nodes: exactly one execution', async () => {
    await load({}, 150);
    const k = key();
    const responses = await Promise.all(Array.from({ length: 100 }, () => post(k, { sku: 'BAT-1', qty: 3 })));
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    assert.equal(executions, 1);
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length + statuses.filter((s) => s === 409).length, 100);
    assert.equal(responses.filter((r) => r.status === 201 && !r.headers.get('idempotent-replayed')).length, 1);
  });

  it('refuses with 503 when the middleware services are missing, instead of running unprotected', async () => {
    useServices(undefined as never);
    await helper.load([registerMwConfig, registerMwIdempotency, registerMwRespond], flow());
    let ran = false;
    helper.getNode('work').on('input', () => (ran = true));
    const res = await post(key(), { sku: 'A' });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as Msg).code, 'IDEMPOTENCY_UNAVAILABLE');
    assert.equal(ran, false);
  });

  it('lets GET through without a key', async () => {
    await load();
    let passed = false;
    helper.getNode('work').removeAllListeners('input');
    helper.getNode('work').on('input', (msg: Msg) => {
      passed = !('idempotency' in msg);
      msg.payload = [];
      helper.getNode('respond').receive(msg);
    });
    const res = await fetch(`${http.base}/api/v1/orders`);
    assert.equal(res.status, 200);
    assert.equal(passed, true);
  });
});
