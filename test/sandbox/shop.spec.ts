import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { startSandboxes } from '../../sandbox/registry';
import { createShopSandbox, signTelegramLogin, type ShopSandbox } from '../../sandbox/shop';
import '../../sandbox/shop/register';

const BOT_TOKEN = '7000000042:AAH-test-bot-token-for-the-shop-sandbox';
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const DAY_S = 86_400;

// ── contracts/shop: every answer checked below is also checked against its JSON Schema ──
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema(JSON.parse(readFileSync(path.resolve(__dirname, '../../contracts/shop/shop-api.json'), 'utf8')) as object);

function conforms(shape: string, value: unknown): void {
  const validate = ajv.getSchema(`https://spareparts-mw.example/shop/shop-api.json#/$defs/${shape}`);
  assert.ok(validate, `no schema ${shape}`);
  assert.ok(validate(value), `${shape}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 400)}`);
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

describe('shop sandbox (1C-Bitrix web shop API)', () => {
  let shop: ShopSandbox;
  let url: string;
  let nowMs = T0;

  before(async () => {
    shop = createShopSandbox({ botToken: BOT_TOKEN, jwtSecret: 'shop-spec-secret', now: () => new Date(nowMs) });
    url = await shop.start();
  });
  after(() => shop.stop());
  beforeEach(() => {
    nowMs = T0;
    shop.setFaults({});
    shop.reset();
    shop.clearRequests();
  });

  async function call(method: string, options: { query?: string; body?: unknown; token?: string; verb?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const verb = options.verb ?? (options.body === undefined ? 'GET' : 'POST');
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers['x-user-token'] = options.token;
    const res = await fetch(`${url}/rest/v1/${method}${options.query ? `?${options.query}` : ''}`, {
      method: verb,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  function assertError(answer: Answer, status: number, code: string): void {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.error, code, JSON.stringify(answer.body));
    conforms('error', answer.body);
  }

  async function loginAs(telegramId: number, name = 'Иван'): Promise<{ token: string; userId: number }> {
    const res = await call('auth.telegram', { body: shop.signTelegramLogin({ id: telegramId, first_name: name, username: `master${telegramId}` }) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.result;
  }

  async function addToCart(token: string, productId: number, quantity: number): Promise<Answer> {
    return call('sale.basket.add', { token, body: { productId, quantity } });
  }

  function decodeJwt(token: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  // ── catalog ──────────────────────────────────────────────────────────────────────────
  describe('catalog', () => {
    it('lists products in pages of 50 with the Bitrix envelope {result, total, next, time}', async () => {
      const first = await call('catalog.product.list');
      assert.equal(first.status, 200);
      conforms('listEnvelope', first.body);
      assert.equal(first.body.total, 1026);
      assert.equal(first.body.result.length, 50);
      assert.equal(first.body.next, 50);
      assert.equal(first.body.result[0].id, 10001);
      assert.ok(first.body.time.duration >= 0);
      for (const product of first.body.result) conforms('product', product);

      const p = first.body.result[0];
      assert.equal(p.xmlId, 'f93fe42e-abd2-49f2-9fb9-3534081c5253');
      assert.equal(p.partType, 'display');
      assert.equal(p.priceMaster, 4420);
      assert.deepEqual(p.stock, { central: 12, north: 1 });
      assert.equal(p.quantity, 13);
      assert.equal('part_type' in p || 'price_master' in p || 'xml_id' in p, false, 'camelCase only');

      const last = await call('catalog.product.list', { query: 'start=1000' });
      assert.equal(last.body.result.length, 26);
      assert.equal(last.body.total, 1026);
      assert.equal('next' in last.body, false, 'no next on the last page');

      const noCount = await call('catalog.product.list', { query: 'start=-1' });
      assert.equal(noCount.body.result.length, 50);
      assert.equal('total' in noCount.body || 'next' in noCount.body, false);
    });

    it('filters by section and other fields, selects fields, orders', async () => {
      const q = new URLSearchParams([
        ['filter[section]', 'Аккумуляторы'],
        ['select[]', 'name'],
        ['select[]', 'priceMaster'],
        ['order[priceMaster]', 'desc'],
      ]);
      const res = await call('catalog.product.list', { query: q.toString() });
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 111);
      assert.deepEqual(Object.keys(res.body.result[0]).sort(), ['id', 'name', 'priceMaster']);
      const prices = res.body.result.map((p: { priceMaster: number }) => p.priceMaster);
      assert.deepEqual(prices, [...prices].sort((a: number, b: number) => b - a));

      const apple = await call('catalog.product.list', {
        query: new URLSearchParams({ 'filter[brand]': 'apple', 'filter[partType]': 'battery', 'filter[>quantity]': '0' }).toString(),
      });
      assert.ok(apple.body.total > 0);
      for (const p of apple.body.result) {
        assert.equal(p.brand, 'Apple');
        assert.equal(p.partType, 'battery');
        assert.ok(p.quantity > 0);
      }

      const byModel = await call('catalog.product.list', { query: new URLSearchParams({ 'filter[models]': 'Apple iPhone 7' }).toString() });
      assert.ok(byModel.body.result.every((p: { models: string[] }) => p.models.includes('Apple iPhone 7')));

      assertError(await call('catalog.product.list', { query: 'filter[nope]=1' }), 400, 'INVALID_ARGUMENT');
      assertError(await call('catalog.product.list', { query: 'select[]=nope' }), 400, 'INVALID_ARGUMENT');
      assertError(await call('catalog.product.list', { query: 'start=abc' }), 400, 'INVALID_ARGUMENT');
    });

    it('supports incremental sync: updateProduct gives a later updatedAt seen by filter[>updatedAt]', async () => {
      // Keyset walk over the whole catalog: updatedAt is unique, so nothing is skipped or repeated.
      const seen = new Set<number>();
      let cursor = '1970-01-01T00:00:00.000Z';
      for (;;) {
        const q = new URLSearchParams({ 'filter[>updatedAt]': cursor, 'order[updatedAt]': 'asc', start: '-1', 'select[]': 'updatedAt' });
        const page = await call('catalog.product.list', { query: q.toString() });
        for (const p of page.body.result) {
          assert.equal(seen.has(p.id), false, `product ${p.id} seen twice`);
          seen.add(p.id);
        }
        if (page.body.result.length < 50) break;
        cursor = page.body.result[page.body.result.length - 1].updatedAt;
        if (seen.size > 2000) assert.fail('keyset walk does not end');
      }
      assert.equal(seen.size, 1026);
      const all = await call('catalog.product.list', { query: 'order[updatedAt]=desc&select[]=updatedAt' });
      const maxUpdatedAt: string = all.body.result[0].updatedAt;

      const since = new URLSearchParams({ 'filter[>updatedAt]': maxUpdatedAt }).toString();
      assert.equal((await call('catalog.product.list', { query: since })).body.total, 0);

      const changed = shop.updateProduct(10003, { price: 2100, priceMaster: 1790 });
      shop.setStock(10005, 'north', 7);
      assert.ok(Date.parse(changed.updatedAt) > Date.parse(maxUpdatedAt));
      const delta = await call('catalog.product.list', { query: since });
      assert.deepEqual(
        delta.body.result.map((p: { id: number }) => p.id),
        [10003, 10005],
      );
      assert.equal(delta.body.result[0].priceMaster, 1790);
      assert.equal(delta.body.result[1].stock.north, 7);
      assert.throws(() => shop.updateProduct(10003, { price: -1 }), /non-negative/);
    });

    it('gets one product, its price and its stock per store', async () => {
      const one = await call('catalog.product.get', { query: 'id=10001' });
      assert.equal(one.status, 200);
      conforms('product', one.body.result);
      assert.equal(one.body.result.name, 'Дисплей в сборе с тачскрином для Apple iPhone 7 (черный) — Оригинал (снятый)');

      const price = await call('catalog.price.get', { query: 'id=10001' });
      conforms('price', price.body.result);
      assert.deepEqual([price.body.result.price, price.body.result.priceMaster, price.body.result.currency], [5200, 4420, 'RUB']);

      shop.setStock(10001, 'north', 4);
      const stock = await call('catalog.store.product.list', { query: 'productId=10001' });
      assert.equal(stock.status, 200);
      for (const row of stock.body.result) conforms('storeProduct', row);
      assert.deepEqual(
        stock.body.result.map((r: { storeId: string; amount: number }) => [r.storeId, r.amount]),
        [
          ['central', 12],
          ['north', 4],
        ],
      );
      const stores = await call('catalog.store.list');
      assert.deepEqual(
        stores.body.result.map((s: { id: string }) => s.id),
        ['central', 'north'],
      );

      assertError(await call('catalog.product.get', { query: 'id=1' }), 404, 'PRODUCT_NOT_FOUND');
      assertError(await call('catalog.product.get'), 400, 'INVALID_ARGUMENT');
      assertError(await call('catalog.price.get', { query: 'id=x' }), 400, 'INVALID_ARGUMENT');
    });
  });

  // ── auth ─────────────────────────────────────────────────────────────────────────────
  describe('Telegram login and user tokens', () => {
    it('exchanges verified Login Widget data for a 30-day HS256 JWT and creates the user once', async () => {
      const data = shop.signTelegramLogin({ id: 555001, first_name: 'Пётр', username: 'petr_fix', photo_url: 'https://t.me/i/userpic/320/p.jpg' });
      const res = await call('auth.telegram', { body: data });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      conforms('loginResult', res.body.result);
      const { token, userId } = res.body.result;
      const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
      assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
      const claims = decodeJwt(token);
      assert.equal(claims.sub, String(userId));
      assert.equal(claims.tg, 555001);
      assert.equal(Number(claims.exp) - Number(claims.iat), 30 * DAY_S);

      const me = await call('user.current', { token });
      conforms('user', me.body.result);
      assert.deepEqual([me.body.result.telegramId, me.body.result.firstName, me.body.result.username], [555001, 'Пётр', 'petr_fix']);

      const again = await call('auth.telegram', { body: shop.signTelegramLogin({ id: 555001, first_name: 'Пётр' }) });
      assert.equal(again.body.result.userId, userId, 'same Telegram user, same shop user');
      assert.equal(shop.counters.usersCreated, 1);
      assert.equal(shop.counters.logins, 2);
    });

    it('checks the hash exactly as Telegram documents it (independent computation)', async () => {
      const fields = { id: 555005, first_name: 'Игорь', username: 'igor', auth_date: Math.floor(nowMs / 1000) };
      const checkString = `auth_date=${fields.auth_date}\nfirst_name=Игорь\nid=555005\nusername=igor`;
      const secret = createHash('sha256').update(BOT_TOKEN).digest();
      const hash = createHmac('sha256', secret).update(checkString).digest('hex');
      assert.equal(shop.signTelegramLogin(fields).hash, hash);
      assert.equal((await call('auth.telegram', { body: { ...fields, hash } })).status, 200);
    });

    it('accepts form-encoded widget data with string values, as the widget redirect sends it', async () => {
      const data = shop.signTelegramLogin({ id: 555002, first_name: 'Анна' });
      const form = new URLSearchParams(Object.entries(data).map(([k, v]) => [k, String(v)]));
      const res = await fetch(`${url}/rest/v1/auth.telegram`, { method: 'POST', body: form });
      assert.equal(res.status, 200);
    });

    it('refuses a wrong hash, tampered data and a stale auth_date', async () => {
      const good = shop.signTelegramLogin({ id: 555003, first_name: 'Олег', username: 'oleg' });
      assertError(await call('auth.telegram', { body: { ...good, hash: 'a'.repeat(64) } }), 401, 'INVALID_HASH');
      assertError(await call('auth.telegram', { body: { ...good, hash: 'not-hex' } }), 401, 'INVALID_HASH');
      assertError(await call('auth.telegram', { body: { ...good, username: 'someone_else' } }), 401, 'INVALID_HASH');
      assertError(await call('auth.telegram', { body: { ...good, id: 555004 } }), 401, 'INVALID_HASH');
      const otherBot = signTelegramLogin({ id: 555003, first_name: 'Олег', auth_date: Math.floor(nowMs / 1000) }, '1:other');
      assertError(await call('auth.telegram', { body: otherBot }), 401, 'INVALID_HASH');

      const stale = shop.signTelegramLogin({ id: 555003, first_name: 'Олег', auth_date: Math.floor(nowMs / 1000) - DAY_S - 1 });
      assertError(await call('auth.telegram', { body: stale }), 401, 'AUTH_DATE_EXPIRED');
      const dayOld = shop.signTelegramLogin({ id: 555003, first_name: 'Олег', auth_date: Math.floor(nowMs / 1000) - DAY_S + 60 });
      assert.equal((await call('auth.telegram', { body: dayOld })).status, 200, 'younger than a day is fine');
      const future = shop.signTelegramLogin({ id: 555003, auth_date: Math.floor(nowMs / 1000) + 3600 });
      assertError(await call('auth.telegram', { body: future }), 401, 'AUTH_DATE_EXPIRED');

      const { hash: _hash, ...noHash } = good;
      assertError(await call('auth.telegram', { body: noHash }), 400, 'INVALID_ARGUMENT');
      assertError(await call('auth.telegram', { body: {} }), 400, 'INVALID_ARGUMENT');
      assert.equal(shop.counters.loginFailures, 7);
      assert.equal(shop.users.length, 1, 'only the good login created a user');
    });

    it('requires a valid X-User-Token on every user method (401 INVALID_TOKEN)', async () => {
      const { token } = await loginAs(555010);
      const userMethods: [string, unknown][] = [
        ['user.current', undefined],
        ['sale.basket.list', undefined],
        ['sale.basket.add', { productId: 10001, quantity: 1 }],
        ['sale.basket.update', { itemId: 1, quantity: 1 }],
        ['sale.basket.delete', { itemId: 1 }],
        ['sale.order.create', { paymentType: 'prepaid', delivery: 'pickup' }],
        ['sale.order.list', undefined],
        ['sale.order.cancel', { id: 1 }],
        ['sale.return.create', { orderId: 1, itemId: 1, quantity: 1, reason: 'брак' }],
        ['sale.return.list', undefined],
      ];
      for (const [method, body] of userMethods) {
        assertError(await call(method, { body }), 401, 'INVALID_TOKEN');
      }
      assertError(await call('sale.order.get', { query: 'id=1' }), 401, 'INVALID_TOKEN');
      assertError(await call('sale.basket.list', { token: 'garbage' }), 401, 'INVALID_TOKEN');

      const [h, p] = token.split('.');
      const forgedClaims = Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: '999' })).toString('base64url');
      assertError(await call('sale.basket.list', { token: `${h}.${forgedClaims}.${token.split('.')[2]}` }), 401, 'INVALID_TOKEN');
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      assertError(await call('sale.basket.list', { token: `${none}.${p}.` }), 401, 'INVALID_TOKEN');
      const otherSecret = createShopSandbox({ botToken: BOT_TOKEN, jwtSecret: 'other', now: () => new Date(nowMs) }).login({ id: 555010 });
      assertError(await call('sale.basket.list', { token: otherSecret.token }), 401, 'INVALID_TOKEN');

      assert.equal((await call('sale.basket.list', { token })).status, 200);
      nowMs += 30 * DAY_S * 1000 + 1000;
      assertError(await call('sale.basket.list', { token }), 401, 'INVALID_TOKEN');

      // Catalog methods are public: unlinked users may search.
      assert.equal((await call('catalog.product.get', { query: 'id=10001' })).status, 200);
    });
  });

  // ── basket ───────────────────────────────────────────────────────────────────────────
  describe('basket', () => {
    it('adds (merging lines), updates, deletes and refuses more than the total stock', async () => {
      const { token } = await loginAs(555020);
      const added = await addToCart(token, 10001, 2);
      assert.equal(added.status, 200, JSON.stringify(added.body));
      conforms('basketChange', added.body.result);
      assert.deepEqual([added.body.result.item.quantity, added.body.result.item.price, added.body.result.item.sum], [2, 4420, 8840]);

      const merged = await addToCart(token, 10001, 1);
      assert.equal(merged.body.result.item.id, added.body.result.item.id, 'same product, same line');
      assert.equal(merged.body.result.item.quantity, 3);

      // 10001 has 12 + 1 on hand; 3 in the basket already.
      assertError(await addToCart(token, 10001, 11), 409, 'OUT_OF_STOCK');
      assertError(await addToCart(token, 10002, 1), 409, 'OUT_OF_STOCK'); // nothing on hand
      assert.equal((await addToCart(token, 10001, 10)).body.result.item.quantity, 13, 'exactly the total stock is fine');
      assertError(await addToCart(token, 1, 1), 404, 'PRODUCT_NOT_FOUND');
      assertError(await addToCart(token, 10001, 0), 400, 'INVALID_ARGUMENT');

      await addToCart(token, 10003, 1);
      const list = await call('sale.basket.list', { token });
      conforms('listEnvelope', list.body);
      assert.deepEqual(
        list.body.result.map((i: { productId: number; quantity: number }) => [i.productId, i.quantity]),
        [
          [10001, 13],
          [10003, 1],
        ],
      );
      const itemId = list.body.result[0].id;
      const updated = await call('sale.basket.update', { token, body: { itemId, quantity: 2 } });
      assert.equal(updated.body.result.item.quantity, 2);
      assert.equal(updated.body.result.basket.price, 2 * 4420 + 1620);
      assertError(await call('sale.basket.update', { token, body: { itemId, quantity: 14 } }), 409, 'OUT_OF_STOCK');
      assertError(await call('sale.basket.update', { token, body: { itemId: 999, quantity: 1 } }), 404, 'BASKET_ITEM_NOT_FOUND');

      const deleted = await call('sale.basket.delete', { token, body: { itemId } });
      assert.equal(deleted.body.result.deleted, true);
      assert.equal(deleted.body.result.basket.items.length, 1);
      assertError(await call('sale.basket.delete', { token, body: { itemId } }), 404, 'BASKET_ITEM_NOT_FOUND');

      // Baskets are per user.
      const other = await loginAs(555021);
      assertError(await call('sale.basket.delete', { token: other.token, body: { itemId: list.body.result[1].id } }), 404, 'BASKET_ITEM_NOT_FOUND');
      assert.equal((await call('sale.basket.list', { token: other.token })).body.total, 0);
    });
  });

  // ── orders ───────────────────────────────────────────────────────────────────────────
  describe('orders', () => {
    it('creates a COD courier order ("Неси") from the basket and reserves the stock', async () => {
      const { token, userId } = await loginAs(555030);
      await addToCart(token, 10001, 2);
      await addToCart(token, 10003, 1);
      const res = await call('sale.order.create', {
        token,
        body: { paymentType: 'cod', delivery: 'courier', address: 'Москва, ул. Тверская, 1', phone: '+7 916 123-45-67', comment: 'после 14:00' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const order = res.body.result;
      conforms('order', order);
      assert.equal(order.number, 'Z-000001');
      assert.equal(order.userId, userId);
      assert.equal(order.status, 'new');
      assert.equal(order.paymentType, 'cod');
      assert.equal(order.paid, false);
      assert.equal('paymentUrl' in order, false, 'nothing to pay online');
      assert.match(order.trackingNumber, /^NS-\d{6}$/);
      assert.equal(order.price, 2 * 4420 + 1620);
      assert.deepEqual(
        order.history.map((h: { status: string }) => h.status),
        ['new'],
      );

      assert.equal((await call('sale.basket.list', { token })).body.total, 0, 'the basket became the order');
      assert.equal(shop.product(10001)?.quantity, 11, 'reserved');
      const stock = await call('catalog.store.product.list', { query: 'productId=10001' });
      assert.deepEqual(
        stock.body.result.map((r: { amount: number; quantityReserved: number }) => [r.amount, r.quantityReserved]),
        [
          [12, 2],
          [1, 0],
        ],
      );
      assert.equal(shop.counters.ordersCreated, 1);
    });

    it('enforces the order rules: empty basket, courier address, COD only with the courier', async () => {
      const { token } = await loginAs(555031);
      assertError(await call('sale.order.create', { token, body: { paymentType: 'prepaid', delivery: 'pickup' } }), 400, 'EMPTY_BASKET');
      await addToCart(token, 10001, 1);
      assertError(await call('sale.order.create', { token, body: { paymentType: 'cod', delivery: 'courier' } }), 400, 'ADDRESS_REQUIRED');
      assertError(await call('sale.order.create', { token, body: { paymentType: 'cod', delivery: 'pickup' } }), 400, 'PAYMENT_TYPE_NOT_ALLOWED');
      assertError(await call('sale.order.create', { token, body: { paymentType: 'card', delivery: 'pickup' } }), 400, 'INVALID_ARGUMENT');
      assertError(await call('sale.order.create', { token, body: { paymentType: 'prepaid', delivery: 'drone' } }), 400, 'INVALID_ARGUMENT');
      assertError(await call('sale.order.create', { token, body: { paymentType: 'prepaid', delivery: 'pickup', phone: 'call me' } }), 400, 'INVALID_ARGUMENT');

      // Stock sold elsewhere between basket and checkout.
      shop.setStock(10001, 'central', 0);
      shop.setStock(10001, 'north', 0);
      assertError(await call('sale.order.create', { token, body: { paymentType: 'prepaid', delivery: 'pickup' } }), 409, 'OUT_OF_STOCK');
      assert.equal(shop.orders.length, 0);
      assert.equal(shop.cart(shop.users[0].id).length, 1, 'a refused order leaves the basket alone');
    });

    it('creates a prepaid order with a payment link on the sandbox that marks it paid', async () => {
      const { token } = await loginAs(555032);
      await addToCart(token, 10003, 2);
      const res = await call('sale.order.create', { token, body: { paymentType: 'prepaid', delivery: 'courier', address: 'СПб, Невский, 10' } });
      assert.equal(res.status, 200);
      const order = res.body.result;
      conforms('order', order);
      assert.equal(order.paymentUrl, `${url}/pay/${order.id}`);
      assert.equal(order.paid, false);

      const page = await fetch(order.paymentUrl);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await page.text(), /Z-000001 оплачен/);

      const after = (await call('sale.order.get', { token, query: `id=${order.id}` })).body.result;
      conforms('order', after);
      assert.equal(after.paid, true);
      assert.ok(after.paidAt);
      assert.equal(after.status, 'confirmed', 'payment confirms a new order');
      assert.deepEqual(
        after.history.map((h: { status: string }) => h.status),
        ['new', 'confirmed'],
      );
      const again = await fetch(`${order.paymentUrl}?format=json`);
      assert.deepEqual((await again.json()).result.alreadyPaid, true);
      assert.equal(shop.counters.payments, 1);
      assert.equal((await fetch(`${url}/pay/999`)).status, 404);
    });

    it('creates a pickup order (no address, no tracking) that ends "delivered" without a courier', async () => {
      const { token } = await loginAs(555033);
      await addToCart(token, 10001, 1);
      const res = await call('sale.order.create', { token, body: { paymentType: 'prepaid', delivery: 'pickup', pickupStore: 'north' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const order = res.body.result;
      assert.equal(order.delivery, 'pickup');
      assert.equal(order.address, null);
      assert.equal(order.trackingNumber, null);
      assert.equal(order.pickupStore, 'north');
      const reserved = await call('catalog.store.product.list', { query: 'productId=10001' });
      assert.deepEqual(
        reserved.body.result.map((r: { storeId: string; quantityReserved: number }) => [r.storeId, r.quantityReserved]),
        [
          ['central', 0],
          ['north', 1],
        ],
        'reserved at the pickup point first',
      );
      assert.throws(() => shop.advanceOrder(order.id, 'handed_to_courier'), /no status/);
      shop.advanceOrder(order.id, 'delivered');
      const done = (await call('sale.order.get', { token, query: `id=${order.number}` })).body.result;
      assert.deepEqual(
        done.history.map((h: { status: string }) => h.status),
        ['new', 'confirmed', 'assembling', 'delivered'],
      );
      assert.equal(done.statusName, 'Выдан');
      assertError(await call('sale.order.create', { token, body: { paymentType: 'prepaid', delivery: 'pickup', pickupStore: 'mars' } }), 400, 'INVALID_ARGUMENT');
    });

    it('deduplicates by externalId: retries, concurrent calls and an emptied basket give the same order', async () => {
      const { token } = await loginAs(555034);
      await addToCart(token, 10001, 1);
      const body = { paymentType: 'cod', delivery: 'courier', address: 'Казань, Баумана, 5', externalId: 'mw-order-7f3a' };
      const answers = await Promise.all(Array.from({ length: 5 }, () => call('sale.order.create', { token, body })));
      const ids = new Set(answers.map((a) => a.body.result.id));
      assert.equal(ids.size, 1);
      const retry = await call('sale.order.create', { token, body }); // basket is empty by now
      assert.equal(retry.status, 200);
      assert.equal(retry.body.result.id, answers[0].body.result.id);
      assert.equal(shop.counters.ordersCreated, 1);
      assert.equal(shop.counters.orderReplays, 5);
      assert.equal(shop.product(10001)?.quantity, 12, 'reserved once');
      assert.deepEqual(shop.suspectedDuplicateOrders(), []);

      // Without externalId a retried checkout is a second order: that is what the counter catches.
      await addToCart(token, 10001, 1);
      await call('sale.order.create', { token, body: { ...body, externalId: undefined } });
      await addToCart(token, 10001, 1);
      await call('sale.order.create', { token, body: { ...body, externalId: undefined } });
      assert.equal(shop.suspectedDuplicateOrders().length, 1);

      // externalId is scoped to the user.
      const other = await loginAs(555035);
      await addToCart(other.token, 10001, 1);
      const theirs = await call('sale.order.create', { token: other.token, body });
      assert.notEqual(theirs.body.result.id, answers[0].body.result.id);
    });

    it('tracks status history through advanceOrder, lists my orders only and feeds status changes', async () => {
      const { token } = await loginAs(555036);
      await addToCart(token, 10001, 2);
      const created = (await call('sale.order.create', { token, body: { paymentType: 'cod', delivery: 'courier', address: 'Тула, Ленина, 2' } })).body.result;
      const checkpoint = created.statusChangedAt;

      const moved = shop.advanceOrder(created.id, 'handed_to_courier');
      assert.equal(moved.status, 'handed_to_courier');
      const got = (await call('sale.order.get', { token, query: `id=${created.id}` })).body.result;
      conforms('order', got);
      assert.deepEqual(
        got.history.map((h: { status: string }) => h.status),
        ['new', 'confirmed', 'assembling', 'handed_to_courier'],
      );
      const times = got.history.map((h: { at: string }) => Date.parse(h.at));
      assert.deepEqual(times, [...times].sort((a: number, b: number) => a - b));
      assert.equal(new Set(times).size, times.length, 'distinct timestamps');
      assert.equal(got.statusName, 'Передан курьеру');

      // Shipped: the units left the warehouse (on hand and reserved both down).
      const stock = await call('catalog.store.product.list', { query: 'productId=10001' });
      assert.deepEqual([stock.body.result[0].amount, stock.body.result[0].quantityReserved], [10, 0]);
      assertError(await call('sale.order.cancel', { token, body: { id: created.id } }), 409, 'ORDER_CANNOT_BE_CANCELLED');
      assert.throws(() => shop.advanceOrder(created.id, 'confirmed'), /cannot go back/);

      const feed = await call('sale.order.changes', { query: new URLSearchParams({ since: checkpoint }).toString() });
      assert.equal(feed.status, 200);
      conforms('listEnvelope', feed.body);
      assert.deepEqual(
        feed.body.result.map((o: { id: number; status: string }) => [o.id, o.status]),
        [[created.id, 'handed_to_courier']],
      );
      const latest = feed.body.result[0].statusChangedAt;
      assert.equal((await call('sale.order.changes', { query: new URLSearchParams({ since: latest }).toString() })).body.total, 0);
      shop.advanceOrder(created.id, 'delivered');
      const next = await call('sale.order.changes', { query: new URLSearchParams({ since: latest }).toString() });
      assert.deepEqual(
        next.body.result.map((o: { status: string; paid: boolean }) => [o.status, o.paid]),
        [['delivered', true]],
        'COD is paid on delivery',
      );
      assertError(await call('sale.order.changes'), 400, 'INVALID_ARGUMENT');
      assert.throws(() => shop.advanceOrder(created.id, 'cancelled'), /already delivered/);

      // My orders only; someone else's order is not found.
      const other = await loginAs(555037);
      assert.equal((await call('sale.order.list', { token: other.token })).body.total, 0);
      assertError(await call('sale.order.get', { token: other.token, query: `id=${created.id}` }), 404, 'ORDER_NOT_FOUND');
      const mine = await call('sale.order.list', { token });
      assert.equal(mine.body.total, 1);
      conforms('order', mine.body.result[0]);
      const scoped = await call('sale.order.changes', { token: other.token, query: 'since=2000-01-01T00:00:00Z' });
      assert.equal(scoped.body.total, 0, 'with a user token the feed is that user’s');
    });

    it('lets the customer cancel an open order, releasing the reservation; cancelling twice is harmless', async () => {
      const { token } = await loginAs(555038);
      await addToCart(token, 10001, 3);
      const order = (await call('sale.order.create', { token, body: { paymentType: 'prepaid', delivery: 'pickup' } })).body.result;
      assert.equal(shop.product(10001)?.quantity, 10);
      const cancelled = await call('sale.order.cancel', { token, body: { id: order.id, reason: 'передумал' } });
      assert.equal(cancelled.body.result.status, 'cancelled');
      assert.equal(cancelled.body.result.cancelReason, 'передумал');
      assert.equal(shop.product(10001)?.quantity, 13);
      assert.equal((await call('sale.order.cancel', { token, body: { id: order.id } })).status, 200);
      assert.equal(shop.counters.ordersCancelled, 1);
      assert.equal((await fetch(`${url}/pay/${order.id}?format=json`)).status, 409, 'a cancelled order cannot be paid');
    });
  });

  // ── returns ──────────────────────────────────────────────────────────────────────────
  describe('returns (RMA)', () => {
    async function deliveredOrder(token: string) {
      await addToCart(token, 10001, 3);
      const order = (await call('sale.order.create', { token, body: { paymentType: 'cod', delivery: 'courier', address: 'Омск, Мира, 3' } })).body.result;
      return order as { id: number; number: string; items: { id: number }[] };
    }

    it('accepts returns of delivered lines only, within the delivered quantity, one open per line', async () => {
      const { token } = await loginAs(555040);
      const order = await deliveredOrder(token);
      const itemId = order.items[0].id;
      const request = { orderId: order.id, itemId, quantity: 1, reason: 'Не работает тачскрин', photos: ['https://files.example/1.jpg'] };

      assertError(await call('sale.return.create', { token, body: request }), 409, 'ORDER_NOT_DELIVERED');
      shop.advanceOrder(order.id, 'delivered');
      assertError(await call('sale.return.create', { token, body: { ...request, quantity: 4 } }), 400, 'INVALID_QUANTITY');
      assertError(await call('sale.return.create', { token, body: { ...request, itemId: 999 } }), 404, 'ORDER_ITEM_NOT_FOUND');
      assertError(await call('sale.return.create', { token, body: { ...request, photos: ['file:///etc/passwd'] } }), 400, 'INVALID_ARGUMENT');
      assertError(await call('sale.return.create', { token, body: { ...request, reason: '' } }), 400, 'INVALID_ARGUMENT');

      const created = await call('sale.return.create', { token, body: { ...request, quantity: 2, orderId: order.number } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      conforms('returnRequest', created.body.result);
      assert.equal(created.body.result.number, 'R-000001');
      assert.equal(created.body.result.status, 'requested');
      assertError(await call('sale.return.create', { token, body: request }), 409, 'RETURN_ALREADY_EXISTS');

      shop.resolveReturn(created.body.result.id, 'accepted', 'Брак подтверждён');
      const got = (await call('sale.return.get', { token, query: `id=${created.body.result.id}` })).body.result;
      conforms('returnRequest', got);
      assert.deepEqual(
        got.history.map((h: { status: string }) => h.status),
        ['requested', 'accepted'],
      );
      assert.equal(got.comment, 'Брак подтверждён');
      // 3 delivered, 2 accepted back: 1 left.
      assertError(await call('sale.return.create', { token, body: { ...request, quantity: 2 } }), 409, 'RETURN_QUANTITY_EXCEEDED');
      const last = await call('sale.return.create', { token, body: request });
      assert.equal(last.status, 200);
      shop.resolveReturn(last.body.result.id, 'rejected');
      assert.throws(() => shop.resolveReturn(last.body.result.id, 'accepted'), /already rejected/);

      const list = await call('sale.return.list', { token });
      assert.deepEqual(
        list.body.result.map((r: { number: string; status: string }) => [r.number, r.status]),
        [
          ['R-000002', 'rejected'],
          ['R-000001', 'accepted'],
        ],
      );
      const feed = await call('sale.return.changes', { query: 'since=2000-01-01T00:00:00Z' });
      assert.equal(feed.body.total, 2);

      const other = await loginAs(555041);
      assertError(await call('sale.return.get', { token: other.token, query: `id=${created.body.result.id}` }), 404, 'RETURN_NOT_FOUND');
      assertError(await call('sale.return.create', { token: other.token, body: request }), 404, 'ORDER_NOT_FOUND');
      assert.equal(shop.counters.returnsCreated, 2);
    });

    it('deduplicates return requests by externalId', async () => {
      const { token } = await loginAs(555042);
      const order = await deliveredOrder(token);
      shop.advanceOrder(order.id, 'delivered');
      const body = { orderId: order.id, itemId: order.items[0].id, quantity: 1, reason: 'брак', externalId: 'rma-1' };
      const a = await call('sale.return.create', { token, body });
      const b = await call('sale.return.create', { token, body });
      assert.equal(b.status, 200, 'a replay, not RETURN_ALREADY_EXISTS');
      assert.equal(a.body.result.id, b.body.result.id);
      assert.equal(shop.returns.length, 1);
    });
  });

  // ── protocol and faults ──────────────────────────────────────────────────────────────
  describe('protocol, errors and faults', () => {
    it('answers Bitrix-style errors for unknown methods, wrong verbs and malformed bodies', async () => {
      assertError(await call('catalog.product.nope'), 404, 'ERROR_METHOD_NOT_FOUND');
      assertError(await call('catalog/product'), 404, 'ERROR_METHOD_NOT_FOUND');
      const wrongVerb = await call('sale.order.create', { verb: 'GET' });
      assertError(wrongVerb, 405, 'METHOD_NOT_ALLOWED');
      assert.equal(wrongVerb.headers.get('allow'), 'POST');
      const malformed = await fetch(`${url}/rest/v1/auth.telegram`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":' });
      assert.equal(malformed.status, 400);
      assert.deepEqual(Object.keys(await malformed.json()).sort(), ['error', 'error_description']);
      // Method names are case-insensitive and may end in .json, as in Bitrix.
      assert.equal((await call('CATALOG.PRODUCT.GET.json', { query: 'id=10001' })).status, 200);
      // Reads work over POST with a JSON body too.
      assert.equal((await call('catalog.product.get', { body: { id: 10001 } })).body.result.id, 10001);
    });

    it('fails with 503 and a Bitrix-style body in an outage, while the control routes keep working', async () => {
      shop.setFaults({ outage: true });
      const down = await call('catalog.product.list');
      assertError(down, 503, 'SERVICE_UNAVAILABLE');
      const pay = await fetch(`${url}/pay/1`);
      assert.equal(pay.status, 503);

      const state = await fetch(`${url}/__sandbox/shop/state`);
      assert.equal(state.status, 200, 'control routes sit before the fault injection');
      shop.setFaults({ errorRate: 1, errorStatus: 500 });
      assertError(await call('catalog.product.list'), 500, 'INTERNAL_SERVER_ERROR');
      shop.setFaults({ errorRate: 1, errorStatus: 429 });
      assertError(await call('catalog.product.list'), 429, 'QUERY_LIMIT_EXCEEDED');
      shop.setFaults({});
      assert.equal((await call('catalog.product.list')).status, 200);
      assert.ok(shop.requests.every((r) => !r.path.startsWith('/__sandbox')), 'control calls are not recorded as traffic');
    });

    it('is driven over HTTP through /__sandbox/shop for the demo mode', async () => {
      const post = (p: string, body: unknown = {}) =>
        fetch(`${url}/__sandbox/shop${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const login = (await (await post('/login', { id: 555050, first_name: 'Демо' })).json()).result;
      await addToCart(login.token, 10001, 1);
      const order = (await call('sale.order.create', { token: login.token, body: { paymentType: 'cod', delivery: 'courier', address: 'Пермь, 1' } })).body.result;
      const advanced = await post(`/orders/${order.number}/advance`, { status: 'assembling' });
      assert.equal((await advanced.json()).result.status, 'assembling');
      assert.equal((await post(`/orders/${order.id}/advance`, { status: 'flying' })).status, 400);
      assert.equal((await post('/stock', { productId: 10002, store: 'central', quantity: 5 })).status, 200);
      assert.equal(shop.product(10002)?.quantity, 5);
      assert.equal((await post('/products/10002', { price: 1500 })).status, 200);
      assert.equal(shop.product(10002)?.price, 1500);
      const state = (await (await fetch(`${url}/__sandbox/shop/state`)).json()).result;
      assert.equal(state.counters.ordersCreated, 1);
      assert.equal(state.products, 1026);
      assert.equal((await post('/reset')).status, 200);
      assert.equal(shop.orders.length, 0);
      assert.equal(shop.product(10002)?.quantity, 0, 'reset reloads the catalog');
    });

    it('registers itself as the "shop" sandbox of the demo mode', async () => {
      const running = await startSandboxes();
      try {
        assert.ok(running.urls.shop, 'shop is registered');
        const res = await fetch(`${running.urls.shop}/rest/v1/catalog.product.get?id=10001`);
        assert.equal(res.status, 200);
      } finally {
        await running.stop();
      }
    });

    it('guards the shop-wide change feed with a service key when one is configured', async () => {
      const guarded = createShopSandbox({ serviceKey: 'svc-key' });
      const base = await guarded.start();
      try {
        const feed = (headers: Record<string, string> = {}) => fetch(`${base}/rest/v1/sale.order.changes?since=2000-01-01T00:00:00Z`, { headers });
        const refused = await feed();
        assert.equal(refused.status, 401);
        assert.equal((await refused.json()).error, 'INVALID_API_KEY');
        assert.equal((await feed({ 'x-api-key': 'svc-key' })).status, 200);
      } finally {
        await guarded.stop();
      }
    });
  });
});
