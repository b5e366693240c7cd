import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { bootRuntime, type TestRuntime } from '../support/runtime';
import { apiAs, assertContract, assertProblem, ensureApiV1, itemsInStock, loginUser, shopControl, shopDown, shopUp, type Api, type ApiUser } from './api-v1-support';

interface Order {
  id: number;
  number: string;
  items: { id: number; item_id: number; quantity: number }[];
}
interface Return {
  id: number;
  number: string;
  order_id: number;
  order_number: string;
  order_item_id: number;
  item_id: number;
  quantity: number;
  reason: string;
  photos: string[];
  status: string;
  status_name: string;
  history: { status: string; at: string }[];
  comment: string | null;
}

describe('API v1 returns (flow «API v1: возвраты»)', () => {
  let rt: TestRuntime;
  let items: number[];
  let release: () => Promise<void>;
  let nextUser = 740_000_001;
  const master = async (): Promise<{ user: ApiUser; api: Api }> => {
    const user = await loginUser(rt, nextUser++);
    return { user, api: apiAs(rt, user) };
  };
  /** A master with an order of two lines (2 + 1 units); delivered unless told otherwise. */
  const withOrder = async (deliver = true): Promise<{ user: ApiUser; api: Api; order: Order }> => {
    const m = await master();
    for (const [id, quantity] of [
      [items[0], 2],
      [items[1], 1],
    ]) {
      assert.equal((await m.api.post('/api/v1/cart/items', { item_id: id, quantity })).status, 200);
    }
    const placed = await m.api.post<Order>('/api/v1/orders', { payment_type: 'prepaid', delivery: 'pickup' });
    assert.equal(placed.status, 201, placed.text);
    if (deliver) await shopControl(rt).advance(placed.body.number, 'delivered');
    return { ...m, order: placed.body };
  };

  before(async () => {
    rt = await bootRuntime();
    ({ release } = await ensureApiV1(rt));
    items = await itemsInStock((await master()).api);
  });
  after(async () => {
    await shopUp(rt);
    await release();
  });

  it('refuses callers without a session token', async () => {
    assertProblem(await apiAs(rt, null).post('/api/v1/returns', { order_id: 1, order_item_id: 1, quantity: 1, reason: 'брак' }), 401, 'UNAUTHORIZED');
    assertProblem(await apiAs(rt, null).get('/api/v1/returns/1'), 401, 'UNAUTHORIZED');
  });

  it('validates the request and requires an Idempotency-Key', async () => {
    const { api } = await master();
    const p = assertProblem(
      await api.post('/api/v1/returns', { order_id: 'Y-1', order_item_id: 0, quantity: 1, reason: 'x', photos: ['ftp://x/y.jpg'] }),
      400,
      'VALIDATION_FAILED',
    );
    assert.deepEqual([...new Set(p.errors?.map((e) => e.pointer))].sort(), ['/order_id', '/order_item_id', '/photos/0', '/reason']);
    assertProblem(await api.post('/api/v1/returns', { order_id: 1, order_item_id: 1, quantity: 1, reason: 'брак' }, null), 400, 'IDEMPOTENCY_KEY_MISSING');
  });

  it('files a return of a delivered line once per Idempotency-Key, and shows its status and history', async () => {
    const { api, order } = await withOrder();
    const line = order.items.find((i) => i.item_id === items[0])!;
    const body = { order_id: order.number, order_item_id: line.id, quantity: 1, reason: 'Не работает тачскрин', photos: ['https://files.example/rma/1.jpg'] };
    const key = randomUUID();
    const created = await api.post<Return>('/api/v1/returns', body, key);
    assert.equal(created.status, 201, created.text);
    assertContract('api-return', created.body);
    assert.equal(created.headers.get('location'), `/api/v1/returns/${created.body.id}`);
    assert.deepEqual(
      [created.body.order_id, created.body.order_item_id, created.body.item_id, created.body.quantity, created.body.status],
      [order.id, line.id, items[0], 1, 'requested'],
    );
    assert.deepEqual(created.body.photos, body.photos);

    const replay = await api.post<Return>('/api/v1/returns', body, key);
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replay.body, created.body);
    assertProblem(await api.post('/api/v1/returns', { ...body, quantity: 2 }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    // One open return per line: a new key for the same line is a conflict.
    const again = assertProblem(await api.post('/api/v1/returns', body), 409, 'CONFLICT');
    assert.equal(again.shop_error, 'RETURN_ALREADY_EXISTS');

    await shopControl(rt).resolveReturn(created.body.number, 'accepted', 'Брак подтверждён');
    const shown = await api.get<Return>(`/api/v1/returns/${created.body.id}`);
    assert.equal(shown.status, 200, shown.text);
    assertContract('api-return', shown.body);
    assert.equal(shown.body.status, 'accepted');
    assert.equal(shown.body.comment, 'Брак подтверждён');
    assert.deepEqual(shown.body.history.map((h) => h.status), ['requested', 'accepted']);
    assert.deepEqual((await api.get<Return>(`/api/v1/returns/${created.body.number}`)).body, shown.body);

    const other = await master();
    assertProblem(await other.api.get(`/api/v1/returns/${created.body.id}`), 404, 'NOT_FOUND');
    assertProblem(await api.get('/api/v1/returns/999999'), 404, 'NOT_FOUND');
    const bad = assertProblem(await api.get('/api/v1/returns/Z-1'), 400, 'VALIDATION_FAILED');
    assert.deepEqual(bad.errors?.map((e) => e.pointer), ['/id']);
  });

  it('refuses what the shop refuses: an order not delivered yet (409), an unknown line (404), too many units (422)', async () => {
    const pending = await withOrder(false);
    const line = pending.order.items[0];
    const notDelivered = assertProblem(await pending.api.post('/api/v1/returns', { order_id: pending.order.id, order_item_id: line.id, quantity: 1, reason: 'брак' }), 409, 'CONFLICT');
    assert.equal(notDelivered.shop_error, 'ORDER_NOT_DELIVERED');

    const { api, order } = await withOrder();
    const unknown = assertProblem(await api.post('/api/v1/returns', { order_id: order.id, order_item_id: 999_999, quantity: 1, reason: 'брак' }), 404, 'NOT_FOUND');
    assert.equal(unknown.shop_error, 'ORDER_ITEM_NOT_FOUND');
    const one = order.items.find((i) => i.item_id === items[1])!;
    const tooMany = assertProblem(await api.post('/api/v1/returns', { order_id: order.id, order_item_id: one.id, quantity: 2, reason: 'брак' }), 422, 'UPSTREAM_BUSINESS_ERROR');
    assert.equal(tooMany.shop_error, 'INVALID_QUANTITY');
    assertProblem(await api.post('/api/v1/returns', { order_id: 999_999, order_item_id: one.id, quantity: 1, reason: 'брак' }), 404, 'NOT_FOUND');
  });

  it('answers 503 with Retry-After while the shop is down and keeps the key free for the retry', async () => {
    const { api, order } = await withOrder();
    const body = { order_id: order.id, order_item_id: order.items[0].id, quantity: 1, reason: 'брак' };
    const key = randomUUID();
    await shopDown(rt);
    try {
      const down = await api.post('/api/v1/returns', body, key);
      assertProblem(down, 503, 'UPSTREAM_UNAVAILABLE');
      assert.ok(Number(down.headers.get('retry-after')) >= 1);
      assertProblem(await api.get('/api/v1/returns/1'), 503, 'UPSTREAM_UNAVAILABLE');
    } finally {
      await shopUp(rt);
    }
    const retry = await api.post<Return>('/api/v1/returns', body, key);
    assert.equal(retry.status, 201, retry.text);
    assert.equal(retry.headers.get('idempotent-replayed'), null);
  });
});
