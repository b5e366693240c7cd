import assert from 'node:assert/strict';
import { bootRuntime, type TestRuntime } from '../support/runtime';
import { apiAs, assertContract, assertProblem, ensureApiV1, loginUser, shopDown, shopUp, type Api } from './api-v1-support';

interface Item {
  id: number;
  name: string;
  models: string[];
  price_master: string | null;
  stock: Record<string, number>;
  in_stock: boolean;
}
interface SearchAnswer {
  query: string;
  items: Item[];
  nothing_found: boolean;
  suggestions: Item[];
  explanation: string;
  as_of: string | null;
  as_of_text: string | null;
  degraded: boolean;
}
interface CompatAnswer {
  kind: 'item' | 'model';
  item?: Item;
  models: string[];
  parts: (Item & { shared_with: string[] })[];
  shared_models: string[];
  degraded: boolean;
}

describe('API v1 catalog: search, items, compatibility (flow «API v1: каталог»)', () => {
  let rt: TestRuntime;
  let api: Api;
  let release: () => Promise<void>;
  before(async () => {
    rt = await bootRuntime();
    ({ release } = await ensureApiV1(rt));
    await rt.mw.services.catalog?.syncer?.syncNow();
    api = apiAs(rt, await loginUser(rt, 710_000_001));
  });
  after(async () => {
    await shopUp(rt);
    await release();
  });

  it('refuses callers without a valid session token with 401 problem+json', async () => {
    for (const path of ['/api/v1/catalog/search?q=акб', '/api/v1/catalog/items/10001', '/api/v1/compat?model=redmi%209a']) {
      const anonymous = await apiAs(rt, null).get(path);
      assertProblem(anonymous, 401, 'UNAUTHORIZED');
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
      assertProblem(await apiAs(rt, { telegramId: 1, token: 'mwat_not-a-real-token-0000000000000000000000000' }).get(path), 401, 'UNAUTHORIZED');
    }
  });

  it('searches the way masters ask: matches first, fresh prices, per-user rate-limit headers', async () => {
    const res = await api.get<SearchAnswer>('/api/v1/catalog/search?q=' + encodeURIComponent('дисплей айфон 7'));
    assert.equal(res.status, 200, res.text);
    assertContract('api-catalog-search', res.body);
    assert.ok(res.body.items.length > 0 && res.body.items.length <= 10);
    assert.equal(res.body.nothing_found, false);
    assert.ok(res.body.items.every((i) => i.models.some((m) => /iPhone 7\b/.test(m))), JSON.stringify(res.body.items.map((i) => i.models)));
    assert.match(res.body.items[0].price_master ?? '', /^\d+(\.\d{1,2})?$/, 'money as a decimal string');
    assert.equal(res.body.degraded, false);
    assert.ok(res.body.as_of && res.body.as_of_text?.startsWith('цены и наличие на'));
    assert.ok(res.headers.get('x-correlation-id'));
    assert.ok(Number(res.headers.get('ratelimit-limit')) > 0);

    const limited = await api.get<SearchAnswer>('/api/v1/catalog/search?q=' + encodeURIComponent('акб редми') + '&limit=2');
    assert.equal(limited.status, 200);
    assert.equal(limited.body.items.length, 2);
  });

  it('answers a search that finds nothing with 200, suggestions and an explanation', async () => {
    const res = await api.get<SearchAnswer>('/api/v1/catalog/search?q=' + encodeURIComponent('дисплей nokia 3310'));
    assert.equal(res.status, 200, res.text);
    assertContract('api-catalog-search', res.body);
    assert.equal(res.body.nothing_found, true);
    assert.deepEqual(res.body.items, []);
    assert.ok(res.body.explanation.length > 0);
  });

  it('validates the query: missing q, bad limit, unknown parameters', async () => {
    let p = assertProblem(await api.get('/api/v1/catalog/search'), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer), ['/q']);
    p = assertProblem(await api.get('/api/v1/catalog/search?q=акб&limit=0'), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer), ['/limit']);
    p = assertProblem(await api.get('/api/v1/catalog/search?q=%20%20'), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer), ['/q']);
    p = assertProblem(await api.get('/api/v1/catalog/search?q=акб&sort=price'), 400, 'VALIDATION_FAILED');
    assert.deepEqual(p.errors?.map((e) => e.pointer), ['/sort']);
  });

  it('returns one item, 404 for an unknown id and 400 for a malformed one', async () => {
    const res = await api.get<{ item: Item }>('/api/v1/catalog/items/10001');
    assert.equal(res.status, 200, res.text);
    assertContract('api-catalog-item', res.body);
    assert.equal(res.body.item.id, 10001);
    assert.deepEqual(res.body.item.models, ['Apple iPhone 7']);

    const missing = assertProblem(await api.get('/api/v1/catalog/items/99999999'), 404, 'NOT_FOUND');
    assert.equal(missing.instance, '/api/v1/catalog/items/99999999');
    const bad = assertProblem(await api.get('/api/v1/catalog/items/abc'), 400, 'VALIDATION_FAILED');
    assert.deepEqual(bad.errors?.map((e) => e.pointer), ['/id']);
  });

  it('tells which models a part fits and which parts fit a model, with shared parts', async () => {
    const byItem = await api.get<CompatAnswer>('/api/v1/compat?item_id=10001');
    assert.equal(byItem.status, 200, byItem.text);
    assertContract('api-compat', byItem.body);
    assert.equal(byItem.body.kind, 'item');
    assert.equal(byItem.body.item?.id, 10001);
    assert.deepEqual(byItem.body.models, ['Apple iPhone 7']);

    const byModel = await api.get<CompatAnswer>('/api/v1/compat?model=' + encodeURIComponent('редми 9а'));
    assert.equal(byModel.status, 200, byModel.text);
    assertContract('api-compat', byModel.body);
    assert.equal(byModel.body.kind, 'model');
    assert.ok(byModel.body.parts.length > 0);
    assert.ok(byModel.body.parts.some((p) => p.shared_with.length > 0), 'shared parts are marked');

    const displays = await api.get<CompatAnswer>('/api/v1/compat?model=' + encodeURIComponent('редми 9а') + '&part_type=display&limit=3');
    assert.equal(displays.status, 200, displays.text);
    assert.ok(displays.body.parts.length > 0 && displays.body.parts.length <= 3);

    assertProblem(await api.get('/api/v1/compat?item_id=99999999'), 404, 'NOT_FOUND');
    assertProblem(await api.get('/api/v1/compat'), 400, 'VALIDATION_FAILED');
    assertProblem(await api.get('/api/v1/compat?item_id=10001&model=x'), 400, 'VALIDATION_FAILED');
  });

  it('keeps answering from the cache while the shop is down, flagged degraded with the time of the prices', async () => {
    await shopDown(rt);
    try {
      const search = await api.get<SearchAnswer>('/api/v1/catalog/search?q=' + encodeURIComponent('дисплей айфон 7'));
      assert.equal(search.status, 200, search.text);
      assertContract('api-catalog-search', search.body);
      assert.ok(search.body.items.length > 0);
      assert.equal(search.body.degraded, true);
      assert.match(search.body.as_of_text ?? '', /^цены и наличие на \d\d:\d\d/);

      const item = await api.get<{ degraded: boolean; as_of: string }>('/api/v1/catalog/items/10001');
      assert.equal(item.status, 200, item.text);
      assert.equal(item.body.degraded, true);
      assert.ok(item.body.as_of);

      const compat = await api.get<CompatAnswer>('/api/v1/compat?item_id=10001');
      assert.equal(compat.status, 200);
      assert.equal(compat.body.degraded, true);
    } finally {
      await shopUp(rt);
    }
    const again = await api.get<SearchAnswer>('/api/v1/catalog/search?q=' + encodeURIComponent('дисплей айфон 7'));
    assert.equal(again.body.degraded, false);
  });

  it('limits reads per user with 429 RATE_LIMITED and Retry-After, leaving other users alone', async () => {
    const greedy = apiAs(rt, await loginUser(rt, 710_000_002));
    const answers = await Promise.all(Array.from({ length: 90 }, () => greedy.get('/api/v1/catalog/items/10002')));
    const refused = answers.filter((r) => r.status === 429);
    assert.ok(refused.length > 0, 'some refused');
    assert.ok(answers.filter((r) => r.status === 200).length >= 60, 'the burst passes');
    assertProblem(refused[0], 429, 'RATE_LIMITED');
    assert.ok(Number(refused[0].headers.get('retry-after')) >= 1);
    assert.equal((await api.get('/api/v1/catalog/items/10002')).status, 200, 'another user is not affected');
  });

  it('publishes the API v1 operations in the OpenAPI document', async () => {
    const res = await fetch(`${rt.baseUrl}/api/v1/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown>; parameters: { $ref?: string }[] }>> };
    for (const [path, methods] of Object.entries({
      '/api/v1/catalog/search': ['get'],
      '/api/v1/catalog/items/{id}': ['get'],
      '/api/v1/compat': ['get'],
      '/api/v1/cart': ['get'],
      '/api/v1/cart/items': ['post'],
      '/api/v1/cart/items/{id}': ['patch', 'post', 'delete'],
      '/api/v1/orders': ['post', 'get'],
      '/api/v1/orders/{id}': ['get'],
      '/api/v1/returns': ['post'],
      '/api/v1/returns/{id}': ['get'],
    })) {
      for (const m of methods) {
        const op = doc.paths[path]?.[m];
        assert.ok(op, `${m} ${path}`);
        assert.deepEqual(op.security, [{ sessionToken: [] }]);
        assert.ok(op.responses['401'] && op.responses['429'], `${m} ${path} documents 401 and 429`);
        if (m === 'post') assert.ok(op.parameters.some((p) => p.$ref === '#/components/parameters/IdempotencyKey'), `${m} ${path} needs an Idempotency-Key`);
      }
    }
    assert.ok(doc.paths['/api/v1/orders'].post.responses['202'], 'queued orders are documented');
  });
});
