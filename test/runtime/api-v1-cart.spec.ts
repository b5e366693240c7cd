import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { bootRuntime, TEST_OPS_TOKEN, type TestRuntime } from '../support/runtime';
import { apiAs, assertContract, assertProblem, ensureApiV1, itemsInStock, loginUser, shopControl, shopDown, shopUp, type Api } from './api-v1-support';

interface Line {
  id: number;
  item_id: number;
  quantity: number;
  price: string;
  sum: string;
}
interface Cart {
  items: Line[];
  quantity: number;
  total: string;
  currency: string;
}
interface CartChange {
  item?: Line;
  deleted?: true;
  cart: Cart;
}

describe('API v1 cart (flow «API v1: корзина»)', () => {
  let rt: TestRuntime;
  let api: Api;
  let items: number[];
  let release: () => Promise<void>;
  let nextUser = 720_000_010;
  // Writes are limited to 5/s (burst 20) per user: the tests that write a lot get their own master.
  const freshApi = async (): Promise<Api> => apiAs(rt, await loginUser(rt, nextUser++));
  const restoreStock: (() => Promise<unknown>)[] = [];
  before(async () => {
    rt = await bootRuntime();
    ({ release } = await ensureApiV1(rt));
    api = apiAs(rt, await loginUser(rt, 720_000_001));
    items = await itemsInStock(api);
  });
  after(async () => {
    await shopUp(rt);
    for (const restore of restoreStock) await restore();
    await release();
  });

  it('refuses callers without a session token', async () => {
    const anon = apiAs(rt, null);
    assertProblem(await anon.get('/api/v1/cart'), 401, 'UNAUTHORIZED');
    assertProblem(await anon.post('/api/v1/cart/items', { item_id: items[0] }), 401, 'UNAUTHORIZED');
    assertProblem(await anon.send('PATCH', '/api/v1/cart/items/1', { quantity: 1 }), 401, 'UNAUTHORIZED');
    assertProblem(await anon.send('DELETE', '/api/v1/cart/items/1'), 401, 'UNAUTHORIZED');
  });

  it('shows an empty cart', async () => {
    const res = await api.get<Cart>('/api/v1/cart');
    assert.equal(res.status, 200, res.text);
    assertContract('api-cart', res.body);
    assert.deepEqual(res.body, { items: [], quantity: 0, total: '0', currency: 'RUB' });
  });

  it('validates the body before the Idempotency-Key gate, and requires the key on POST', async () => {
    let p = assertProblem(await api.post('/api/v1/cart/items', { item_id: 'x', quantity: 0, extra: 1 }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer).sort(), ['/extra', '/item_id', '/quantity']);
    p = assertProblem(await api.post('/api/v1/cart/items', '{"item_id": 1', randomUUID()), 400, 'MALFORMED_JSON');
    assertProblem(await api.post('/api/v1/cart/items', { item_id: items[0] }, null), 400, 'IDEMPOTENCY_KEY_MISSING');
  });

  it('adds an item once per Idempotency-Key: replays the answer, refuses the key with another body', async () => {
    const key = randomUUID();
    const first = await api.post<CartChange>('/api/v1/cart/items', { item_id: items[0], quantity: 2 }, key);
    assert.equal(first.status, 200, first.text);
    assertContract('api-cart-change', first.body);
    assert.equal(first.body.item?.item_id, items[0]);
    assert.equal(first.body.item?.quantity, 2);
    assert.equal(first.body.cart.quantity, 2);
    assert.equal(Number(first.body.cart.total), 2 * Number(first.body.item?.price));

    const replay = await api.post<CartChange>('/api/v1/cart/items', { item_id: items[0], quantity: 2 }, key);
    assert.equal(replay.status, 200);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replay.body, first.body);
    const cart = await api.get<Cart>('/api/v1/cart');
    assert.equal(cart.body.quantity, 2, 'the retry did not add again');

    assertProblem(await api.post('/api/v1/cart/items', { item_id: items[0], quantity: 3 }, key), 422, 'IDEMPOTENCY_KEY_REUSED');

    // A second item, default quantity 1.
    const second = await api.post<CartChange>('/api/v1/cart/items', { item_id: items[1] });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.cart.items.length, 2);
    assert.equal(second.body.item?.quantity, 1);
  });

  it('refuses an unknown item (404) and more than the stock (409 OUT_OF_STOCK)', async () => {
    const missing = assertProblem(await api.post('/api/v1/cart/items', { item_id: 99_999_999 }), 404, 'NOT_FOUND');
    assert.equal(missing.shop_error, 'PRODUCT_NOT_FOUND');
    const shop = shopControl(rt);
    const before = await shop.product(items[2]);
    restoreStock.push(async () => {
      for (const [store, quantity] of Object.entries(before.stock)) await shop.setStock(items[2], store, quantity);
    });
    await shop.setStock(items[2], 'central', 1);
    await shop.setStock(items[2], 'north', 0);
    const short = assertProblem(await api.post('/api/v1/cart/items', { item_id: items[2], quantity: 2 }), 409, 'OUT_OF_STOCK');
    assert.equal(short.shop_error, 'OUT_OF_STOCK');
  });

  it('sets the quantity of a line with PATCH (no key needed) or POST (key required), and deletes it', async () => {
    const cart = (await api.get<Cart>('/api/v1/cart')).body;
    const line = cart.items.find((l) => l.item_id === items[1])!;
    const patched = await api.send<CartChange>('PATCH', `/api/v1/cart/items/${line.id}`, { quantity: 3 });
    assert.equal(patched.status, 200, patched.text);
    assertContract('api-cart-change', patched.body);
    assert.equal(patched.body.item?.quantity, 3);
    // The same PATCH again is harmless: it sets, not adds.
    assert.equal((await api.send<CartChange>('PATCH', `/api/v1/cart/items/${line.id}`, { quantity: 3 })).body.item?.quantity, 3);

    assertProblem(await api.post(`/api/v1/cart/items/${line.id}`, { quantity: 4 }, null), 400, 'IDEMPOTENCY_KEY_MISSING');
    const key = randomUUID();
    const posted = await api.post<CartChange>(`/api/v1/cart/items/${line.id}`, { quantity: 4 }, key);
    assert.equal(posted.status, 200, posted.text);
    assert.equal(posted.body.item?.quantity, 4);
    const replay = await api.post<CartChange>(`/api/v1/cart/items/${line.id}`, { quantity: 4 }, key);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    // A PATCH that sends a key is gated too.
    const patchKey = randomUUID();
    assert.equal((await api.send('PATCH', `/api/v1/cart/items/${line.id}`, { quantity: 5 }, { 'idempotency-key': patchKey })).status, 200);
    assertProblem(await api.send('PATCH', `/api/v1/cart/items/${line.id}`, { quantity: 6 }, { 'idempotency-key': patchKey }), 422, 'IDEMPOTENCY_KEY_REUSED');

    let p = assertProblem(await api.send('PATCH', `/api/v1/cart/items/${line.id}`, { quantity: 0 }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer), ['/quantity']);
    p = assertProblem(await api.send('PATCH', '/api/v1/cart/items/abc', { quantity: 1 }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer), ['/id']);
    assertProblem(await api.send('PATCH', '/api/v1/cart/items/999999', { quantity: 1 }), 404, 'NOT_FOUND');

    const deleted = await api.send<CartChange>('DELETE', `/api/v1/cart/items/${line.id}`);
    assert.equal(deleted.status, 200, deleted.text);
    assertContract('api-cart-change', deleted.body);
    assert.equal(deleted.body.deleted, true);
    assert.ok(!deleted.body.cart.items.some((l) => l.id === line.id));
    assertProblem(await api.send('DELETE', `/api/v1/cart/items/${line.id}`), 404, 'NOT_FOUND');
  });

  it('answers 503 with Retry-After while the shop is down, and frees the key so the retry goes through', async () => {
    const api = await freshApi();
    const key = randomUUID();
    await shopDown(rt);
    try {
      const get = assertProblem(await api.get('/api/v1/cart'), 503, 'UPSTREAM_UNAVAILABLE');
      assert.equal(get.upstream, 'shop');
      const down = await api.post('/api/v1/cart/items', { item_id: items[3] }, key);
      assertProblem(down, 503, 'UPSTREAM_UNAVAILABLE');
      assert.ok(Number(down.headers.get('retry-after')) >= 1);
    } finally {
      await shopUp(rt);
    }
    const retry = await api.post<CartChange>('/api/v1/cart/items', { item_id: items[3] }, key);
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.headers.get('idempotent-replayed'), null, 'executed now, not a replay of the 503');
    assert.equal(retry.body.item?.item_id, items[3]);
  });

  it('journals cart changes with the request body', async () => {
    const api = await freshApi();
    const correlation = `cart-${randomUUID()}`;
    const res = await api.post('/api/v1/cart/items', { item_id: items[0] }, undefined, { 'x-correlation-id': correlation });
    assert.equal(res.status, 200);
    let rows: { system: string; operation: string; direction: string; status: string }[] = [];
    for (let i = 0; i < 30 && !rows.some((r) => r.system === 'api-v1'); i++) {
      await new Promise((r) => setTimeout(r, 150));
      rows = ((await (await fetch(`${rt.baseUrl}/api/v1/journal?correlation_id=${correlation}`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).json()) as { items: typeof rows }).items;
    }
    const inbound = rows.find((r) => r.system === 'api-v1');
    assert.deepEqual(inbound && { operation: inbound.operation, direction: inbound.direction, status: inbound.status }, { operation: 'cart.add', direction: 'in', status: 'ok' });
    assert.ok(rows.some((r) => r.system === 'shop' && r.operation === 'sale.basket.add'), 'and the shop call under the same correlation id');
  });
});
