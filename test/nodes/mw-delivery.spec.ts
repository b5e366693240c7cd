import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwDelivery from '../../nodes/mw-delivery/mw-delivery';
import registerMwOutbound from '../../nodes/mw-outbound/mw-outbound';
import { enqueue, getDelivery } from '../../src/outbound';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';

type Msg = Record<string, unknown> & {
  delivery: { id: number; attempt: number; destination: string; durationMs?: number };
  error?: { message: string; status?: number };
};

/** Timers created by our outbound code (worker, node, HTTP delivery) that were neither fired nor cleared. */
function trackOurTimers(): { created: number; stop: () => string[] } {
  const live = new Map<number, string>();
  let created = 0;
  const hook = createHook({
    init(asyncId, type) {
      if (type !== 'Timeout') return;
      const stack = new Error().stack ?? '';
      if (!/src\/outbound\/|nodes\/mw-delivery\//.test(stack)) return;
      created++;
      live.set(asyncId, stack.split('\n').find((l) => /src\/outbound\/|nodes\/mw-delivery\//.test(l))?.trim() ?? '');
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return {
    get created() {
      return created;
    },
    stop: () => {
      hook.disable();
      return [...live.values()];
    },
  };
}

/** A stand-in shop API: /orders/ok → 201, /orders/bad → Bitrix refusal, /orders/down → 503. */
async function startShop(): Promise<{ url: string; hits: string[]; authorizations: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const authorizations: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push(req.url ?? '');
      authorizations.push(String(req.headers['x-user-token'] ?? ''));
      const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url?.endsWith('/ok')) json(201, { result: { orderId: 'ok', status: 'N' } });
      else if (req.url?.endsWith('/bad')) json(400, { error: 'WRONG_DELIVERY', error_description: 'Самовывоз нельзя отправить курьером' });
      else json(503, { error: 'TEMPORARY_UNAVAILABLE', error_description: 'maintenance' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    authorizations,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('mw-delivery node', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  let shop: Awaited<ReturnType<typeof startShop>>;
  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_test_delnode'));
    shop = await startShop();
  });
  after(async () => {
    await shop.close();
    await drop();
  });
  beforeEach(() => db('outbound_deliveries').delete());
  afterEach(() => helper.unload());

  const flow = (delivery: Record<string, unknown> = {}): object[] => [
    { id: 'c1', type: 'mw-config', name: 'mw', version: 1 },
    { id: 'o1', type: 'mw-outbound', mwConfig: 'c1', destination: 'shop', operation: 'order.update', keyProperty: 'idempotencyKey', version: 1, wires: [[]] },
    {
      id: 'd1',
      type: 'mw-delivery',
      mwConfig: 'c1',
      destination: 'shop',
      url: `${shop.url}/orders/{{payload.orderId}}`,
      method: 'POST',
      headers: '{"X-Api-Version":"1"}',
      authType: 'header',
      authHeader: 'X-User-Token',
      timeout: 5,
      concurrency: 2,
      pollInterval: 0.05,
      breakerThreshold: 5,
      breakerCooldown: 30,
      version: 1,
      wires: [['delivered'], ['human'], ['dead']],
      ...delivery,
    },
    { id: 'delivered', type: 'helper' },
    { id: 'human', type: 'helper' },
    { id: 'dead', type: 'helper' },
  ];
  const credentials = { d1: { token: 'jwt-secret' } };

  function nextMessage(id: string): Promise<Msg> {
    return new Promise((resolve) => helper.getNode(id).once('input', (msg: Msg) => resolve(msg)));
  }

  it('delivers what mw-outbound queued and sends the answer to output 1', async () => {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwOutbound, registerMwDelivery], flow(), credentials);
    const delivered = nextMessage('delivered');
    helper.getNode('o1').receive({ payload: { orderId: 'ok', status: 'N' }, correlationId: 'corr-ok' });
    const msg = await delivered;
    assert.deepEqual(msg.payload, { result: { orderId: 'ok', status: 'N' } });
    assert.equal(msg.statusCode, 201);
    assert.deepEqual(msg.request, { orderId: 'ok', status: 'N' });
    assert.equal(msg.delivery.attempt, 1);
    assert.equal(msg.delivery.destination, 'shop');
    assert.equal(msg.correlationId, 'corr-ok');
    assert.equal(shop.authorizations.at(-1), 'jwt-secret', 'the credential is sent');
    assert.equal((await getDelivery(db, msg.delivery.id))?.state, 'delivered');
  });

  it('sends a business refusal to output 2 without retrying it', async () => {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwOutbound, registerMwDelivery], flow(), credentials);
    const human = nextMessage('human');
    helper.getNode('o1').receive({ payload: { orderId: 'bad' } });
    const msg = await human;
    assert.equal(msg.error?.status, 400);
    assert.match(msg.error?.message ?? '', /WRONG_DELIVERY: Самовывоз/);
    assert.deepEqual(msg.payload, { orderId: 'bad' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(shop.hits.filter((h) => h.endsWith('/bad')).length, 1);
    assert.equal((await getDelivery(db, msg.delivery.id))?.state, 'needs_human');
  });

  it('sends a dead letter to output 3', async () => {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwOutbound, registerMwDelivery], flow(), credentials);
    const dead = nextMessage('dead');
    // A delivery window of 1 ms: the first transient failure is already past the deadline.
    const { item } = await enqueue(db, { destination: 'shop', operation: 'order.update', payload: { orderId: 'down' }, deadlineMs: 1 });
    const msg = await dead;
    assert.equal(msg.delivery.id, item.id);
    assert.match(msg.error?.message ?? '', /HTTP 503 TEMPORARY_UNAVAILABLE.*not delivered within/);
    assert.equal((await getDelivery(db, item.id))?.state, 'dead');
  });

  it('shows queue depth in its status and stops its worker on close, leaving no timers', async () => {
    useServices(testServices(db));
    const ours = trackOurTimers();
    await enqueue(db, { destination: 'shop', operation: 'order.update', payload: { orderId: 'down' } });
    await helper.load([registerMwConfig, registerMwOutbound, registerMwDelivery], flow({ wires: [[], [], []] }), credentials);
    const node = helper.getNode('d1');
    const status = await new Promise<{ text: string; fill: string }>((resolve) =>
      node.on('call:status', (call: { args: [{ text: string; fill: string }] }) => {
        if (/1 queued/.test(call.args[0].text)) resolve(call.args[0]);
      }),
    );
    assert.equal(status.fill, 'green');
    await helper.unload();
    const hits = shop.hits.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(shop.hits.length, hits, 'no polling after close');
    const left = ours.stop();
    assert.ok(ours.created > 0, 'the tracker saw the worker timers');
    assert.deepEqual(left, [], 'timers of the worker and node left behind');
  });

  it('refuses a config it cannot run, saying what is wrong', async () => {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwOutbound, registerMwDelivery], flow({ url: 'ftp://x', authType: 'bearer', concurrency: 0, wires: [[], [], []] }), {});
    const node = helper.getNode('d1');
    // The status is set while the node is constructed: read it from the helper's spy.
    type Call = { thisValue: unknown; args: [{ text: string; fill: string }] };
    const calls = (node.status as unknown as { getCalls(): Call[] }).getCalls().filter((c) => c.thisValue === node);
    const last = calls.at(-1)?.args[0];
    assert.equal(last?.fill, 'red');
    assert.match(last?.text ?? '', /URL must start with http/);
    const errors = (node.error as unknown as { getCalls(): { thisValue: unknown; args: unknown[] }[] }).getCalls().filter((c) => c.thisValue === node);
    assert.match(String(errors.at(-1)?.args[0]), /URL must start with http.*bearer auth needs a token.*concurrency must be/);
  });
});
