import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createShopSandbox, type ShopSandbox } from '../../sandbox/shop';
import { acquireJournalWriter, type JournalWriterLease } from '../../src/journal/writer';
import { ShopClient, shopApiBase } from '../../src/shop/client';
import { shopConfigFromEnv } from '../../src/shop/config';
import { isShopBusinessError, isShopUnavailable, ShopBusinessError, ShopUnavailableError } from '../../src/shop/errors';
import { createTestDatabase } from '../support/postgres';

const BOT_TOKEN = '7000000042:AAH-test-bot-token-for-the-shop-client';

async function rejects<T extends Error>(promise: Promise<unknown>, check: (error: T) => void): Promise<T> {
  try {
    await promise;
  } catch (error) {
    check(error as T);
    return error as T;
  }
  assert.fail('expected the call to fail');
}

describe('shop client (against the shop sandbox)', () => {
  let shop: ShopSandbox;
  let url: string;
  let db: Knex;
  let drop: () => Promise<void>;
  let lease: JournalWriterLease;

  before(async () => {
    shop = createShopSandbox({ botToken: BOT_TOKEN, serviceKey: 'svc-key-1' });
    url = await shop.start();
    ({ db, drop } = await createTestDatabase('mw_test_shopclient'));
    lease = acquireJournalWriter(db, { flushIntervalMs: 10 });
  });
  after(async () => {
    await lease.release();
    await shop.stop();
    await drop();
  });
  beforeEach(async () => {
    shop.setFaults({});
    shop.reset();
    shop.clearRequests();
    await lease.writer.flush();
    await db('integration_journal').delete();
  });

  const client = (options: Partial<ConstructorParameters<typeof ShopClient>[0]> = {}): ShopClient =>
    new ShopClient({ baseUrl: url, serviceKey: 'svc-key-1', timeoutMs: 2000, journal: lease.writer, ...options });

  async function journalRows(): Promise<Record<string, any>[]> {
    await lease.writer.flush();
    return db('integration_journal').select('*').orderBy('id');
  }

  it('derives the REST base from SHOP_API_URL and checks the configuration', () => {
    assert.equal(shopApiBase('http://127.0.0.1:8080'), 'http://127.0.0.1:8080/rest/v1');
    assert.equal(shopApiBase('https://shop.example/rest/v1/'), 'https://shop.example/rest/v1');
    assert.equal(shopApiBase('https://shop.example/api/'), 'https://shop.example/api/rest/v1');
    const config = shopConfigFromEnv({ SHOP_API_URL: 'http://shop:8080', SHOP_API_TIMEOUT_MS: '2500', CATALOG_SEARCH_WORKER: 'off' });
    assert.equal(config.apiUrl, 'http://shop:8080');
    assert.equal(config.timeoutMs, 2500);
    assert.equal(config.searchWorker, false);
    assert.equal(config.syncIntervalMs, 5000);
    assert.throws(() => shopConfigFromEnv({ SHOP_API_URL: 'ftp://shop' }), /SHOP_API_URL has protocol/);
    assert.throws(() => shopConfigFromEnv({ SHOP_API_TIMEOUT_MS: 'soon' }), /SHOP_API_TIMEOUT_MS/);
  });

  it('reads the catalog: pages, keyset since updatedAt, product, price, stock per store', async () => {
    const c = client();
    const first = await c.listProducts();
    assert.equal(first.total, 1026);
    assert.equal(first.items.length, 50);
    assert.equal(first.next, 50);
    assert.equal(first.items[0]!.id, 10001);
    assert.equal(first.items[0]!.priceMaster, 4420);

    const filtered = await c.listProducts({ filter: { section: 'Аккумуляторы' }, select: ['name', 'priceMaster'], order: { priceMaster: 'desc' } });
    assert.equal(filtered.total, 111);
    assert.deepEqual(Object.keys(filtered.items[0]!).sort(), ['id', 'name', 'priceMaster']);

    // Keyset walk of the whole catalog.
    let pages = 0;
    const seen = new Set<number>();
    for await (const page of c.productPagesSince(null)) {
      pages++;
      for (const p of page.items) seen.add(p.id);
      assert.equal(page.total, undefined, 'keyset mode has no count');
    }
    assert.equal(seen.size, 1026);
    assert.equal(pages, 21);

    const newest = (await c.listProducts({ order: { updatedAt: 'desc' }, select: ['updatedAt'] })).items[0]!.updatedAt;
    assert.equal((await c.listProducts({ since: newest })).items.length, 0);
    shop.updateProduct(10003, { priceMaster: 1790 });
    const delta = await c.listProducts({ since: newest });
    assert.deepEqual(
      delta.items.map((p) => [p.id, p.priceMaster]),
      [[10003, 1790]],
    );

    const product = await c.getProduct(10001);
    assert.equal(product.partType, 'display');
    assert.deepEqual(await c.getPrice(10001), { productId: 10001, price: 5200, priceMaster: 4420, currency: 'RUB', updatedAt: product.updatedAt });
    const stock = await c.getStock(10001);
    assert.deepEqual(
      stock.map((s) => [s.storeId, s.available]),
      [
        ['central', 12],
        ['north', 1],
      ],
    );
    assert.deepEqual(
      (await c.listStores()).map((s) => s.id),
      ['central', 'north'],
    );
  });

  it('logs a master in with Login Widget data and runs cart → order → tracking → return', async () => {
    const c = client();
    const login = await c.loginTelegram(shop.signTelegramLogin({ id: 555001, first_name: 'Иван', username: 'master555' }));
    assert.match(login.token, /^eyJ/);
    assert.equal(login.userId, 1001);
    const ctx = { userToken: login.token, correlationId: 'corr-order-1' };
    assert.equal((await c.currentUser(ctx)).telegramId, 555001);

    const added = await c.cartAdd({ productId: 10001, quantity: 2 }, ctx);
    assert.equal(added.item!.quantity, 2);
    assert.equal(added.basket.price, 2 * 4420);
    const second = await c.cartAdd({ productId: 10003 }, ctx);
    const updated = await c.cartUpdate({ itemId: second.item!.id, quantity: 1 }, ctx);
    assert.equal(updated.basket.items.length, 2);
    const deleted = await c.cartDelete({ itemId: second.item!.id }, ctx);
    assert.equal(deleted.basket.items.length, 1);
    assert.equal((await c.cartList(ctx)).items.length, 1);

    const input = { paymentType: 'cod' as const, delivery: 'courier' as const, address: 'ул. Ленина, д. 5, кв. 12', phone: '+79161234567', comment: 'после 18:00', externalId: 'tg-555001-1' };
    const order = await c.createOrder(input, ctx);
    assert.equal(order.number, 'Z-000001');
    assert.equal(order.status, 'new');
    assert.equal(order.trackingNumber, 'NS-000001');
    // The same externalId gives back the first order: a retry never duplicates.
    const again = await c.createOrder(input, ctx);
    assert.equal(again.id, order.id);
    assert.equal(shop.counters.ordersCreated, 1);
    assert.equal(shop.counters.orderReplays, 1);
    await assert.rejects(c.createOrder({ ...input, externalId: '' }, ctx), /externalId/);

    assert.deepEqual(
      (await c.listOrders(ctx)).items.map((o) => o.number),
      ['Z-000001'],
    );
    assert.equal((await c.getOrder('Z-000001', ctx)).id, order.id);
    shop.advanceOrder(order.id, 'delivered');
    const mine = await c.orderChanges({ since: order.createdAt }, ctx);
    assert.deepEqual(
      mine.items.map((o) => o.status),
      ['delivered'],
    );
    const shopWide = await c.orderChanges(order.createdAt);
    assert.equal(shopWide.items.length, 1, 'without a user token the service key reads the shop-wide feed');

    const ret = await c.createReturn({ orderId: order.number, itemId: order.items[0]!.id, quantity: 1, reason: 'не включается', photos: ['https://img.example/1.jpg'], externalId: 'rma-1' }, ctx);
    assert.equal(ret.status, 'requested');
    assert.equal((await c.getReturn(ret.number, ctx)).id, ret.id);
    assert.equal((await c.listReturns(ctx)).items.length, 1);
    shop.resolveReturn(ret.id, 'accepted', 'брак подтверждён');
    assert.deepEqual(
      (await c.returnChanges(ret.createdAt, ctx)).items.map((r) => r.status),
      ['accepted'],
    );

    // Cancelling: a new order from a new basket.
    await c.cartAdd({ productId: 10005, quantity: 1 }, ctx);
    const pickup = await c.createOrder({ paymentType: 'prepaid', delivery: 'pickup', externalId: 'tg-555001-2' }, ctx);
    assert.match(pickup.paymentUrl ?? '', /\/pay\//);
    const cancelled = await c.cancelOrder(pickup.id, 'передумал', ctx);
    assert.equal(cancelled.status, 'cancelled');
    await c.cartAdd({ productId: 10005, quantity: 1 }, ctx);
    assert.equal((await c.cartClear(ctx)).basket.items.length, 0);
  });

  it('maps Bitrix refusals to ShopBusinessError with problem codes', async () => {
    const c = client();
    const { token } = shop.login({ id: 555002 });
    const ctx = { userToken: token };

    const stock = await rejects<ShopBusinessError>(c.cartAdd({ productId: 10001, quantity: 1000 }, ctx), (e) => {
      assert.ok(e instanceof ShopBusinessError && isShopBusinessError(e) && !isShopUnavailable(e));
      assert.equal(e.shopCode, 'OUT_OF_STOCK');
      assert.equal(e.httpStatus, 409);
      assert.equal(e.method, 'sale.basket.add');
      assert.equal(e.problemCode, 'OUT_OF_STOCK');
    });
    const problem = stock.toProblem({ correlationId: 'c-1' });
    assert.equal(problem.status, 409);
    assert.equal(problem.code, 'OUT_OF_STOCK');
    assert.equal(problem.shop_error, 'OUT_OF_STOCK');
    assert.equal(problem.correlation_id, 'c-1');
    assert.ok(!String(problem.detail).includes('requested 1000'), 'the shop description is for logs only');

    await rejects<ShopBusinessError>(c.currentUser({ userToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged' }), (e) => {
      assert.equal(e.shopCode, 'INVALID_TOKEN');
      assert.equal(e.problemCode, 'UNAUTHORIZED');
      assert.equal(e.toProblem().status, 401);
    });
    // No token at all: refused locally, nothing is sent.
    shop.clearRequests();
    await rejects<ShopBusinessError>(c.cartList({}), (e) => assert.equal(e.shopCode, 'INVALID_TOKEN'));
    assert.equal(shop.requests.length, 0);

    await rejects<ShopBusinessError>(c.createOrder({ paymentType: 'cod', delivery: 'courier', address: 'x', externalId: 'e-1' }, ctx), (e) => {
      assert.equal(e.shopCode, 'EMPTY_BASKET');
      assert.equal(e.problemCode, 'UPSTREAM_BUSINESS_ERROR');
      assert.equal(e.toProblem().status, 422);
    });
    await rejects<ShopBusinessError>(c.getOrder('Z-999999', ctx), (e) => assert.equal(e.problemCode, 'NOT_FOUND'));
    await rejects<ShopBusinessError>(c.loginTelegram({ id: 1, auth_date: Math.floor(Date.now() / 1000), hash: 'ab'.repeat(32) }), (e) => assert.equal(e.shopCode, 'INVALID_HASH'));
    assert.equal(c.breakerState, 'closed', 'refusals are answers: the shop is healthy');
  });

  it('maps outage, dropped connections, 429 and timeouts to ShopUnavailableError', async () => {
    const c = client({ breaker: { failureThreshold: 100 } });
    shop.setFaults({ outage: true });
    const down = await rejects<ShopUnavailableError>(c.getProduct(10001), (e) => {
      assert.ok(e instanceof ShopUnavailableError && isShopUnavailable(e));
      assert.equal(e.reason, 'http_status');
      assert.equal(e.httpStatus, 503);
      assert.equal(e.shopCode, 'SERVICE_UNAVAILABLE');
      assert.equal(e.problemCode, 'UPSTREAM_UNAVAILABLE');
    });
    assert.equal(down.toProblem().status, 503);

    shop.setFaults({ outage: true, dropConnections: true });
    await rejects<ShopUnavailableError>(c.getProduct(10001), (e) => assert.equal(e.reason, 'network'));

    shop.setFaults({ errorRate: 1, errorStatus: 429 });
    await rejects<ShopUnavailableError>(c.getProduct(10001), (e) => {
      assert.equal(e.reason, 'rate_limited');
      assert.equal(e.problemCode, 'UPSTREAM_UNAVAILABLE');
    });

    shop.setFaults({ latencyMs: 400 });
    const started = Date.now();
    await rejects<ShopUnavailableError>(c.getProduct(10001, { timeoutMs: 100 }), (e) => {
      assert.equal(e.reason, 'timeout');
      assert.equal(e.problemCode, 'UPSTREAM_TIMEOUT');
      assert.equal(e.toProblem().status, 504);
    });
    assert.ok(Date.now() - started < 350, 'the call gives up at its timeout');

    // A caller's own abort is not the shop's failure.
    const aborter = new AbortController();
    const pending = c.getProduct(10001, { signal: aborter.signal });
    aborter.abort();
    await assert.rejects(pending, (e: Error) => !isShopUnavailable(e));
  });

  it('opens the circuit breaker after repeated failures and closes it after a good trial', async () => {
    let now = Date.parse('2026-03-02T09:00:00Z');
    const transitions: string[] = [];
    const c = client({ breaker: { failureThreshold: 3, cooldownMs: 10_000 }, now: () => now });
    c.onBreakerChange((state) => transitions.push(state));
    shop.setFaults({ outage: true });
    for (let i = 0; i < 3; i++) await rejects<ShopUnavailableError>(c.getProduct(10001), (e) => assert.equal(e.reason, 'http_status'));
    assert.equal(c.breakerState, 'open');
    shop.clearRequests();
    const fast = await rejects<ShopUnavailableError>(c.getProduct(10001), (e) => {
      assert.equal(e.reason, 'breaker_open');
      assert.equal(e.retryAfterMs, 10_000);
    });
    assert.equal(fast.toProblem().retry_after, 10);
    assert.equal(shop.requests.length, 0, 'an open breaker sends nothing');

    shop.setFaults({});
    now += 10_000;
    assert.equal(c.breakerState, 'half_open');
    assert.equal((await c.getProduct(10001)).id, 10001);
    assert.equal(c.breakerState, 'closed');
    assert.deepEqual(transitions, ['open', 'half_open', 'closed']);
  });

  it('journals every call with the correlation id and a masked body', async () => {
    const c = client({ breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    const widget = shop.signTelegramLogin({ id: 555003, first_name: 'Пётр', username: 'petr' });
    const { token } = await c.loginTelegram(widget, { correlationId: 'corr-login' });
    const ctx = { userToken: token, correlationId: 'corr-order' };
    await c.cartAdd({ productId: 10001, quantity: 1 }, ctx);
    await c.createOrder({ paymentType: 'cod', delivery: 'courier', address: 'ул. Ленина, д. 5, кв. 12', phone: '+79161234567', externalId: 'j-1' }, ctx);
    await assert.rejects(c.cartAdd({ productId: 10002, quantity: 5 }, { ...ctx, correlationId: 'corr-oos' }));
    shop.setFaults({ outage: true });
    await assert.rejects(c.getProduct(10001, { correlationId: 'corr-down' }));
    await assert.rejects(c.getProduct(10001, { correlationId: 'corr-skipped' }));

    const rows = await journalRows();
    assert.deepEqual(
      rows.map((r) => [r.correlation_id, r.operation, r.status, r.http_status]),
      [
        ['corr-login', 'auth.telegram', 'ok', 200],
        ['corr-order', 'sale.basket.add', 'ok', 200],
        ['corr-order', 'sale.order.create', 'ok', 200],
        ['corr-oos', 'sale.basket.add', 'rejected', 409],
        ['corr-down', 'catalog.product.get', 'error', 503],
        ['corr-skipped', 'catalog.product.get', 'skipped', null],
      ],
    );
    for (const r of rows) {
      assert.equal(r.system, 'shop');
      assert.equal(r.direction, 'out');
      assert.ok(r.duration_ms >= 0);
    }
    const text = JSON.stringify(rows.map((r) => r.body));
    assert.ok(!text.includes(token), 'the user token is never journaled');
    assert.ok(!text.includes(widget.hash), 'the Login Widget hash is never journaled');
    assert.ok(!text.includes('Ленина') && !text.includes('1234567'), 'address and phone are masked');
    assert.ok(!text.includes('Пётр') && !text.includes('petr'), 'names are masked');
    assert.equal(rows[2]!.body.request.externalId, 'j-1');
    assert.equal(rows[2]!.body.response.result.number, 'Z-000001');
    assert.match(rows[3]!.error, /^OUT_OF_STOCK/);
    assert.match(rows[5]!.error, /circuit breaker is open/);
  });
});
