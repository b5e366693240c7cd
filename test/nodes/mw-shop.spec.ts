import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwShop from '../../nodes/mw-shop/mw-shop';
import { mwShopMigrations } from '../../nodes/mw-shop/config';
import { createShopSandbox, type ShopSandbox } from '../../sandbox/shop';
import { createCatalogRuntime, registerCatalogRuntime, type CatalogRuntime } from '../../src/catalog/runtime';
import { migrateConfig } from '../../src/node-config/migrations';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';

type Msg = Record<string, any>;

describe('mw-shop node', () => {
  let shop: ShopSandbox;
  let db: Knex;
  let drop: () => Promise<void>;
  let runtime: CatalogRuntime;
  let unregister: () => void;

  before(async () => {
    shop = createShopSandbox();
    const url = await shop.start();
    ({ db, drop } = await createTestDatabase('mw_test_shopnode'));
    // What server.ts does: one runtime per process, registered for the nodes.
    runtime = createCatalogRuntime({ db, env: {}, config: { apiUrl: url, syncIntervalMs: 0, searchWorker: false, breakerThreshold: 3, breakerCooldownMs: 60_000, timeoutMs: 2000 } });
    await runtime.start();
    unregister = registerCatalogRuntime(db, runtime);
  });
  after(async () => {
    unregister();
    await runtime.stop();
    await shop.stop();
    await drop();
  });
  beforeEach(() => {
    shop.setFaults({});
    shop.reset();
    runtime.client!.breaker.recordSuccess();
  });
  afterEach(() => helper.unload());

  const flow = (node: Record<string, unknown> = {}): object[] => [
    { id: 'c1', type: 'mw-config', name: 'mw', version: 1 },
    { id: 's', type: 'mw-shop', mwConfig: 'c1', operation: 'sale.basket.add', tokenProperty: 'user.shopToken', timeout: 0, version: 1, wires: [['ok'], ['refused'], ['down']], ...node },
    { id: 'ok', type: 'helper' },
    { id: 'refused', type: 'helper' },
    { id: 'down', type: 'helper' },
  ];

  async function load(node: Record<string, unknown> = {}): Promise<void> {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwShop], flow(node));
    outputs = [];
    for (const port of ['ok', 'refused', 'down'] as const) {
      helper.getNode(port).on('input', (m: Msg) => {
        outputs.push({ port, msg: m });
        waiting?.();
      });
    }
  }

  /**
   * Sends a message and resolves with the output it came out of. One listener per output for the
   * whole flow: Node-RED calls input listeners from a live list, so once-listeners removing
   * themselves can make a later one miss its message.
   */
  type Port = 'ok' | 'refused' | 'down';
  let outputs: { port: Port; msg: Msg }[] = [];
  let waiting: (() => void) | undefined;

  async function send(msg: Msg): Promise<{ port: Port; msg: Msg }> {
    const before = outputs.length;
    const arrived = new Promise<void>((resolve) => {
      waiting = () => {
        if (outputs.length > before) resolve();
      };
    });
    helper.getNode('s').receive(msg);
    await arrived;
    return outputs[before]!;
  }

  it('migrates an old config to version 1', () => {
    const c = migrateConfig('mw-shop', { operation: 'msg', tokenProperty: 'msg.user.token' }, mwShopMigrations);
    assert.deepEqual([c.version, c.operation, c.tokenProperty, c.timeout], [1, '', 'user.token', 0]);
  });

  it('calls the shop with the user token and sends the result to output 1, journaled', async () => {
    await load();
    const { token } = shop.login({ id: 777001 });
    const out = await send({ payload: { productId: 10001, quantity: 2 }, user: { shopToken: token }, correlationId: 'corr-node-1' });
    assert.equal(out.port, 'ok');
    assert.equal(out.msg.payload.item.productId, 10001);
    assert.equal(out.msg.payload.basket.price, 2 * 4420);
    assert.equal(out.msg.shop.operation, 'sale.basket.add');
    assert.equal(shop.cart(shop.userByTelegramId(777001)!.id).length, 1);
    await helper.unload(); // flushes the journal (the runtime's writer stays; flush it too)
    const rows = await waitForJournal('corr-node-1');
    assert.equal(rows[0].operation, 'sale.basket.add');
    assert.equal(rows[0].system, 'shop');
    assert.equal(rows[0].status, 'ok');
  });

  async function waitForJournal(correlationId: string): Promise<Msg[]> {
    const t0 = Date.now();
    for (;;) {
      const rows = await db('integration_journal').where({ correlation_id: correlationId });
      if (rows.length) return rows;
      if (Date.now() - t0 > 3000) assert.fail(`no journal row for ${correlationId}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('routes refusals to output 2 with msg.problem (OUT_OF_STOCK, UNAUTHORIZED)', async () => {
    await load();
    const { token } = shop.login({ id: 777002 });
    const oos = await send({ payload: { productId: 10001, quantity: 500 }, user: { shopToken: token }, correlationId: 'corr-oos' });
    assert.equal(oos.port, 'refused');
    assert.equal(oos.msg.problem.code, 'OUT_OF_STOCK');
    assert.equal(oos.msg.problem.status, 409);
    assert.equal(oos.msg.problem.correlation_id, 'corr-oos');
    assert.deepEqual(oos.msg.shopError, { code: 'OUT_OF_STOCK', status: 409, operation: 'sale.basket.add' });

    const anonymous = await send({ payload: { productId: 10001 } });
    assert.equal(anonymous.port, 'refused');
    assert.equal(anonymous.msg.problem.code, 'UNAUTHORIZED');
    assert.equal(anonymous.msg.problem.shop_error, 'INVALID_TOKEN');
  });

  it('takes the operation from msg.operation and the order id from msg.idempotencyKey', async () => {
    await load({ operation: '' });
    const { token } = shop.login({ id: 777003 });
    const user = { shopToken: token };
    assert.equal((await send({ operation: 'cartAdd', payload: { productId: 10005 }, user })).port, 'ok');
    const order = { paymentType: 'cod', delivery: 'courier', address: 'ул. Мира, д. 1', phone: '+79160000000' };
    const first = await send({ operation: 'sale.order.create', payload: order, idempotencyKey: 'bot-order-42', user });
    assert.equal(first.port, 'ok');
    assert.equal(first.msg.payload.externalId, 'bot-order-42');
    const retry = await send({ operation: 'createOrder', payload: order, idempotencyKey: 'bot-order-42', user });
    assert.equal(retry.port, 'ok');
    assert.equal(retry.msg.payload.id, first.msg.payload.id, 'a retried order is the same order');
    assert.equal(shop.counters.ordersCreated, 1);
    const got = await send({ operation: 'sale.order.get', payload: first.msg.payload.number, user });
    assert.equal(got.msg.payload.id, first.msg.payload.id);
  });

  it('reports flow mistakes to a Catch node', async () => {
    await load({ operation: '' });
    const node = helper.getNode('s');
    const error = new Promise<unknown[]>((resolve) => node.once('call:error', (call: { args: unknown[] }) => resolve(call.args)));
    node.receive({ operation: 'sale.order.explode', payload: {} });
    assert.match(String((await error)[0]), /unknown shop operation|unknownOperation/);
    const missing = new Promise<unknown[]>((resolve) => node.once('call:error', (call: { args: unknown[] }) => resolve(call.args)));
    node.receive({ operation: 'sale.order.create', payload: { paymentType: 'cod', delivery: 'courier' }, user: { shopToken: 'x' } });
    assert.match(String((await missing)[0]), /externalId/);
  });

  it('routes an unavailable shop to output 3 and shows the open breaker', async () => {
    await load({ operation: 'catalog.product.get' });
    const node = helper.getNode('s');
    const statuses: { text?: string; fill?: string }[] = [];
    node.on('call:status', (call: { args: [{ text?: string; fill?: string }] }) => statuses.push(call.args[0]));
    shop.setFaults({ outage: true });
    for (let i = 0; i < 3; i++) {
      const out = await send({ payload: 10001, correlationId: `down-${i}` });
      assert.equal(out.port, 'down');
      assert.equal(out.msg.problem.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(out.msg.problem.status, 503);
    }
    const fast = await send({ payload: 10001 });
    assert.equal(fast.port, 'down');
    assert.equal(fast.msg.problem.reason, 'breaker_open');
    assert.ok(statuses.some((s) => s.fill === 'red' && /breaker|unavailable|status\.open/.test(s.text ?? '')), JSON.stringify(statuses));

    shop.setFaults({ latencyMs: 300 });
    runtime.client!.breaker.recordSuccess();
    await helper.unload();
    await load({ operation: 'catalog.product.get', timeout: 0.1 });
    const slow = await send({ payload: 10001 });
    assert.equal(slow.port, 'down');
    assert.equal(slow.msg.problem.code, 'UPSTREAM_TIMEOUT');
  });
});
