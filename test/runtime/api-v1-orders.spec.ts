import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ApiV1Runtime } from '../../src/api';
import { bootRuntime, TEST_OPS_TOKEN, type TestRuntime } from '../support/runtime';
import { apiAs, assertContract, assertProblem, ensureApiV1, itemsInStock, loginUser, shopControl, shopDown, shopUp, waitFor, type Api, type ApiUser } from './api-v1-support';

interface Order {
  id: number;
  number: string;
  status: string;
  status_name: string;
  history: { status: string; at: string }[];
  payment_type: string;
  delivery: string;
  payment_url?: string;
  pickup_store: string | null;
  tracking_number: string | null;
  items: { id: number; item_id: number; quantity: number }[];
  total: string;
}
interface Queued {
  status: 'queued';
  queue_id: number;
  idempotency_key: string;
  lookup: string;
}
interface QueueRow {
  id: string;
  state: string;
  attempt: number;
  payload: { telegramUserId: number; order: Record<string, unknown> };
  correlation_id: string | null;
  last_status: number | null;
}

const COD = { payment_type: 'cod', delivery: 'courier', address: 'Москва, ул. Ленина, 1, сервис «Мастер»', phone: '+79991234567', comment: 'после 14:00' };

describe('API v1 orders (flow «API v1: заказы»)', () => {
  let rt: TestRuntime;
  let items: number[];
  let apiV1: ApiV1Runtime;
  let release: () => Promise<void>;
  let nextUser = 730_000_001;
  const restoreStock: (() => Promise<unknown>)[] = [];
  const master = async (): Promise<{ user: ApiUser; api: Api }> => {
    const user = await loginUser(rt, nextUser++);
    return { user, api: apiAs(rt, user) };
  };
  const fill = async (api: Api, itemId: number, quantity = 1): Promise<void> => {
    const res = await api.post('/api/v1/cart/items', { item_id: itemId, quantity });
    assert.equal(res.status, 200, res.text);
  };
  const shopOrders = async (externalId: string) => (await shopControl(rt).orders()).filter((o) => o.externalId === externalId);
  const queueRow = async (id: number): Promise<QueueRow> => (await rt.mw.services.db('outbound_deliveries').where({ id }).first()) as QueueRow;

  before(async () => {
    rt = await bootRuntime();
    ({ runtime: apiV1, release } = await ensureApiV1(rt));
    const { api } = await master();
    items = await itemsInStock(api);
  });
  after(async () => {
    await shopControl(rt).faults({});
    await shopUp(rt);
    for (const restore of restoreStock) await restore();
    await release();
  });

  it('refuses callers without a session token', async () => {
    const anon = apiAs(rt, null);
    assertProblem(await anon.post('/api/v1/orders', COD), 401, 'UNAUTHORIZED');
    assertProblem(await anon.get('/api/v1/orders'), 401, 'UNAUTHORIZED');
    assertProblem(await anon.get('/api/v1/orders/1'), 401, 'UNAUTHORIZED');
  });

  it('validates the order: COD only with the courier, the courier needs an address, the phone is E.164', async () => {
    const { api } = await master();
    let p = assertProblem(await api.post('/api/v1/orders', { payment_type: 'cod', delivery: 'pickup' }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer), ['/delivery']);
    p = assertProblem(await api.post('/api/v1/orders', { payment_type: 'prepaid', delivery: 'courier' }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer), ['/address']);
    p = assertProblem(await api.post('/api/v1/orders', { ...COD, phone: '8 999 123', payment_type: 'card' }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer).sort(), ['/payment_type', '/phone']);
    assertProblem(await api.post('/api/v1/orders', COD, null), 400, 'IDEMPOTENCY_KEY_MISSING');
  });

  it('places a COD courier order exactly once per Idempotency-Key, also under concurrent retries', async () => {
    const { user, api } = await master();
    await fill(api, items[0], 1);
    const key = randomUUID();
    const attempts = await Promise.all(Array.from({ length: 5 }, () => api.post<Order>('/api/v1/orders', COD, key)));
    assert.ok(attempts.every((r) => r.status === 201 || r.status === 409), attempts.map((r) => `${r.status} ${r.text}`).join('\n'));
    const created = attempts.filter((r) => r.status === 201);
    assert.ok(created.length >= 1);
    for (const r of attempts.filter((a) => a.status === 409)) assertProblem(r, 409, 'IDEMPOTENCY_IN_FLIGHT');
    const first = created[0];
    assertContract('api-order', first.body);
    assert.equal(first.headers.get('location'), `/api/v1/orders/${first.body.id}`);
    assert.equal(first.body.status, 'new');
    assert.equal(first.body.payment_type, 'cod');
    assert.equal(first.body.delivery, 'courier');
    assert.match(first.body.tracking_number ?? '', /^NS-\d+$/);
    assert.deepEqual(first.body.items.map((i) => [i.item_id, i.quantity]), [[items[0], 1]]);
    for (const r of created) assert.deepEqual(r.body, first.body);

    const replay = await api.post<Order>('/api/v1/orders', COD, key);
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.headers.get('location'), `/api/v1/orders/${first.body.id}`);
    assert.deepEqual(replay.body, first.body);

    assertProblem(await api.post('/api/v1/orders', { ...COD, comment: 'другое' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal((await shopOrders(`tg:${user.telegramId}:${key}`)).length, 1, 'one order in the shop');
    assert.equal((await api.get<{ quantity: number }>('/api/v1/cart')).body.quantity, 0, 'the cart became the order');
  });

  it('refuses an empty cart (422 EMPTY_BASKET) and stock that ran out meanwhile (409 OUT_OF_STOCK)', async () => {
    const { api } = await master();
    const empty = assertProblem(await api.post('/api/v1/orders', COD), 422, 'UPSTREAM_BUSINESS_ERROR');
    assert.equal(empty.shop_error, 'EMPTY_BASKET');

    await fill(api, items[1], 2);
    const shop = shopControl(rt);
    const before = await shop.product(items[1]);
    restoreStock.push(async () => {
      for (const [store, quantity] of Object.entries(before.stock)) await shop.setStock(items[1], store, quantity);
    });
    for (const store of Object.keys(before.stock)) await shop.setStock(items[1], store, store === 'central' ? 1 : 0);
    const short = assertProblem(await api.post('/api/v1/orders', COD), 409, 'OUT_OF_STOCK');
    assert.equal(short.shop_error, 'OUT_OF_STOCK');
  });

  it('places a prepaid pickup order with a payment link', async () => {
    const { api } = await master();
    await fill(api, items[2], 1);
    const res = await api.post<Order>('/api/v1/orders', { payment_type: 'prepaid', delivery: 'pickup', pickup_store: 'central' });
    assert.equal(res.status, 201, res.text);
    assertContract('api-order', res.body);
    assert.equal(res.body.delivery, 'pickup');
    assert.equal(res.body.pickup_store, 'central');
    assert.equal(res.body.tracking_number, null);
    assert.match(res.body.payment_url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/pay\/\d+$/);
  });

  it('lists orders and shows one by id or number with its status and tracking history; not other masters\' orders', async () => {
    const { api } = await master();
    await fill(api, items[0], 1);
    const placed = await api.post<Order>('/api/v1/orders', COD);
    assert.equal(placed.status, 201, placed.text);
    await shopControl(rt).advance(placed.body.number, 'handed_to_courier');

    const list = await api.get<{ items: Order[]; total: number }>('/api/v1/orders');
    assert.equal(list.status, 200, list.text);
    assertContract('api-order-list', list.body);
    assert.deepEqual(list.body.items.map((o) => o.id), [placed.body.id]);
    assert.equal(list.body.total, 1);

    const one = await api.get<Order>(`/api/v1/orders/${placed.body.id}`);
    assert.equal(one.status, 200, one.text);
    assertContract('api-order', one.body);
    assert.equal(one.body.status, 'handed_to_courier');
    assert.deepEqual(one.body.history.map((h) => h.status), ['new', 'confirmed', 'assembling', 'handed_to_courier']);
    assert.equal(one.body.tracking_number, placed.body.tracking_number);
    assert.deepEqual((await api.get<Order>(`/api/v1/orders/${placed.body.number}`)).body, one.body);

    assert.equal((await api.get<{ items: Order[] }>('/api/v1/orders?status=handed_to_courier')).body.items.length, 1);
    assert.equal((await api.get<{ items: Order[] }>('/api/v1/orders?status=cancelled')).body.items.length, 0);

    const other = apiAs(rt, await loginUser(rt, nextUser++));
    assertProblem(await other.get(`/api/v1/orders/${placed.body.id}`), 404, 'NOT_FOUND');
    assert.deepEqual((await other.get<{ items: Order[] }>('/api/v1/orders')).body.items, []);
    let p = assertProblem(await api.get('/api/v1/orders/abc'), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer), ['/id']);
    p = assertProblem(await api.get('/api/v1/orders?offset=-1&color=red'), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer).sort(), ['/color', '/offset']);
  });

  it('journals the order with personal data masked', async () => {
    const { api } = await master();
    await fill(api, items[0], 1);
    const correlation = `order-${randomUUID()}`;
    const res = await api.post('/api/v1/orders', { ...COD, phone: '+79161234567' }, undefined, { 'x-correlation-id': correlation });
    assert.equal(res.status, 201, res.text);
    let rows: { system: string; operation: string; status: string; http_status: number; body: unknown }[] = [];
    for (let i = 0; i < 30 && !rows.some((r) => r.system === 'api-v1'); i++) {
      await new Promise((r) => setTimeout(r, 150));
      rows = ((await (await fetch(`${rt.baseUrl}/api/v1/journal?correlation_id=${correlation}`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).json()) as { items: typeof rows }).items;
    }
    const inbound = rows.find((r) => r.system === 'api-v1')!;
    assert.ok(inbound, JSON.stringify(rows));
    assert.deepEqual([inbound.operation, inbound.status, inbound.http_status], ['order.create', 'ok', 201]);
    assert.doesNotMatch(JSON.stringify(inbound.body), /1234567|Ленина/);
  });

  it('while the shop is down: 202 queued, and the order is placed exactly once when the shop is back', async () => {
    const { user, api } = await master();
    await fill(api, items[3], 1);
    const key = randomUUID();
    const externalId = `tg:${user.telegramId}:${key}`;
    const correlation = `queued-${randomUUID()}`;
    await shopDown(rt);
    let queued: Queued;
    try {
      const res = await api.post<Queued>('/api/v1/orders', COD, key, { 'x-correlation-id': correlation });
      assert.equal(res.status, 202, res.text);
      assertContract('api-order-queued', res.body);
      queued = res.body;
      assert.equal(queued.idempotency_key, key);
      assert.equal(queued.lookup, `/api/v1/orders?idempotency_key=${key}`);

      const replay = await api.post<Queued>('/api/v1/orders', COD, key);
      assert.equal(replay.status, 202);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.body, queued);
      assertProblem(await api.post('/api/v1/orders', { ...COD, address: 'другой адрес' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');

      const row = await queueRow(queued.queue_id);
      assert.equal(row.payload.telegramUserId, user.telegramId);
      assert.equal(row.payload.order.externalId, externalId);
      assert.equal(row.correlation_id, correlation);
      assert.doesNotMatch(JSON.stringify(row.payload), /eyJ|token/i, 'no shop token in the queue');
      // The worker tried at once (the enqueue woke it) and failed: the item waits for the shop.
      await waitFor('a first failed attempt', async () => {
        const r = await queueRow(queued.queue_id);
        return r.attempt >= 1 && r.state === 'pending';
      });
      assertProblem(await api.get(`/api/v1/orders?idempotency_key=${key}`), 503, 'UPSTREAM_UNAVAILABLE');
      assert.equal((await shopOrders(externalId)).length, 0);
    } finally {
      await shopUp(rt);
    }
    // The catalog sync sees the shop answer again: waiting orders become due at once.
    const delivered = await waitFor('the queued order placed', async () => {
      const r = await queueRow(queued.queue_id);
      return r.state === 'delivered' ? r : undefined;
    });
    assert.equal(delivered.last_status, 201);
    assert.equal((await shopOrders(externalId)).length, 1);
    const found = await api.get<{ items: Order[] }>(queued.lookup);
    assert.equal(found.status, 200, found.text);
    assert.equal(found.body.items.length, 1);
    assert.deepEqual(found.body.items[0].items.map((i) => i.item_id), [items[3]]);

    // Retries after the fact change nothing.
    await apiV1.deliverNow();
    assert.equal((await api.post('/api/v1/orders', COD, key)).status, 202);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await shopOrders(externalId)).length, 1);

    let rows: { system: string; operation: string; status: string }[] = [];
    for (let i = 0; i < 30 && !rows.some((r) => r.operation === 'order.queued'); i++) {
      await new Promise((r) => setTimeout(r, 150));
      rows = ((await (await fetch(`${rt.baseUrl}/api/v1/journal?correlation_id=${correlation}`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).json()) as { items: typeof rows }).items;
    }
    assert.ok(rows.some((r) => r.system === 'api-v1' && r.operation === 'order.queued' && r.status === 'ok'), JSON.stringify(rows));
    assert.ok(rows.some((r) => r.system === 'api-v1' && r.operation === 'order.create'));
  });

  it('a queued order the shop refuses once it is back (stock gone meanwhile) goes to a human, journaled, not retried', async () => {
    const { user, api } = await master();
    await fill(api, items[2], 1);
    const key = randomUUID();
    const correlation = `refused-${randomUUID()}`;
    const shop = shopControl(rt);
    const before = await shop.product(items[2]);
    restoreStock.push(async () => {
      for (const [store, quantity] of Object.entries(before.stock)) await shop.setStock(items[2], store, quantity);
    });
    await shopDown(rt);
    let queued: Queued;
    try {
      const res = await api.post<Queued>('/api/v1/orders', COD, key, { 'x-correlation-id': correlation });
      assert.equal(res.status, 202, res.text);
      queued = res.body;
      await waitFor('a first failed attempt', async () => (await queueRow(queued.queue_id)).attempt >= 1);
      // While the shop is away, the part sells out.
      for (const store of Object.keys(before.stock)) await shop.setStock(items[2], store, 0);
    } finally {
      await shopUp(rt);
    }
    const row = await waitFor('the queued order handed to a human', async () => {
      const r = await queueRow(queued.queue_id);
      if (r.state === 'delivered') throw new Error('placed without stock?');
      return r.state === 'needs_human' ? r : undefined;
    });
    assert.equal(row.last_status, 409);
    assert.equal(row.attempt, 2, 'a refusal is not retried');
    assert.equal((await shopOrders(`tg:${user.telegramId}:${key}`)).length, 0);
    let rows: { system: string; operation: string; status: string }[] = [];
    for (let i = 0; i < 30 && !rows.some((r) => r.operation === 'order.queued'); i++) {
      await new Promise((r) => setTimeout(r, 150));
      rows = ((await (await fetch(`${rt.baseUrl}/api/v1/journal?correlation_id=${correlation}`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).json()) as { items: typeof rows }).items;
    }
    assert.ok(rows.some((r) => r.operation === 'order.queued' && r.status === 'rejected'), JSON.stringify(rows));
  });

  it('a shop too slow to answer: 202 queued, and the slow call and the queued delivery make one order', async () => {
    const { user, api } = await master();
    await fill(api, items[4], 1);
    const key = randomUUID();
    await shopControl(rt).faults({ latencyMs: 6000 }); // the flow gives the shop 5 s
    let queued: Queued;
    try {
      const res = await api.post<Queued>('/api/v1/orders', COD, key);
      assert.equal(res.status, 202, res.text);
      queued = res.body;
    } finally {
      await shopControl(rt).faults({});
    }
    await waitFor('the queued order placed', async () => (await queueRow(queued.queue_id)).state === 'delivered', 30_000);
    const orders = await shopOrders(`tg:${user.telegramId}:${key}`);
    assert.equal(orders.length, 1, 'the slow first call and the queued delivery are one order');
  });
});
