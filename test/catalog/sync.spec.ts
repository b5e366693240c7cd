import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createShopSandbox, type ShopSandbox } from '../../sandbox/shop';
import { readSyncState, SHOP_CATALOG_STREAM } from '../../src/catalog/store';
import { CatalogSyncer, type CatalogChange, type SyncReport } from '../../src/catalog/sync';
import { ShopClient } from '../../src/shop/client';
import { createTestDatabase } from '../support/postgres';

interface MetricsLog {
  degraded: [string, boolean][];
  lag: [string, number][];
  setDegraded(component: string, on: boolean): void;
  setDeltaLag(stream: string, seconds: number): void;
}

function fakeMetrics(): MetricsLog {
  const m: MetricsLog = {
    degraded: [],
    lag: [],
    setDegraded: (c, on) => void m.degraded.push([c, on]),
    setDeltaLag: (s, sec) => void m.lag.push([s, sec]),
  };
  return m;
}

describe('catalog sync (shop sandbox → PostgreSQL cache)', () => {
  let shop: ShopSandbox;
  let url: string;
  let db: Knex;
  let drop: () => Promise<void>;
  const syncers: CatalogSyncer[] = [];

  before(async () => {
    shop = createShopSandbox();
    url = await shop.start();
    ({ db, drop } = await createTestDatabase('mw_test_catsync'));
  });
  after(async () => {
    await shop.stop();
    await drop();
  });
  beforeEach(async () => {
    shop.setFaults({});
    shop.reset();
    shop.clearRequests();
    await db('catalog_items').delete();
    await db('catalog_sync_state').delete();
  });
  afterEach(async () => {
    for (const s of syncers.splice(0)) await s.close();
  });

  function syncer(options: { fetch?: typeof fetch; batchSize?: number; metrics?: MetricsLog; threshold?: number } = {}): { syncer: CatalogSyncer; client: ShopClient } {
    const client = new ShopClient({ baseUrl: url, timeoutMs: 2000, fetch: options.fetch, breaker: { failureThreshold: options.threshold ?? 50 } });
    const s = new CatalogSyncer({ db, source: client, batchSize: options.batchSize, metrics: options.metrics });
    syncers.push(s);
    return { syncer: s, client };
  }

  /** Product list calls as the sandbox parsed them: the keyset cursor and the paging mode. */
  const listCalls = (): { since: string | undefined; start: string | undefined }[] =>
    shop.requests
      .filter((r) => r.path === '/rest/v1/catalog.product.list')
      .map((r) => {
        const q = r.query as { filter?: Record<string, string>; start?: string };
        return { since: q.filter?.['>updatedAt'], start: q.start };
      });

  it('imports the whole catalog (1026 items) with its keyset cursor, then stays incremental', async () => {
    const metrics = fakeMetrics();
    const { syncer: s } = syncer({ metrics });
    const changes: CatalogChange[] = [];
    s.on('changed', (c: CatalogChange) => changes.push(c));
    const report = await s.syncNow();
    assert.equal(report.ok, true, report.error);
    assert.equal(report.mode, 'initial');
    assert.equal(report.upserted, 1026);
    assert.equal(report.pages, 21);
    assert.equal(report.fullWalkCompleted, true);
    assert.equal(changes.reduce((n, c) => n + c.ids.length, 0), 1026);

    const count = await db('catalog_items').count<{ count: string }[]>('* as count');
    assert.equal(Number(count[0]!.count), 1026);
    const row = await db('catalog_items').where({ id: 10001 }).first();
    assert.equal(row.name, 'Дисплей в сборе с тачскрином для Apple iPhone 7 (черный) — Оригинал (снятый)');
    assert.equal(row.xml_id, 'f93fe42e-abd2-49f2-9fb9-3534081c5253');
    assert.equal(row.part_type, 'display');
    assert.deepEqual(row.models, ['Apple iPhone 7']);
    assert.equal(Number(row.price_master), 4420);
    assert.equal(Number(row.price), 5200);
    assert.deepEqual(row.stock, { central: 12, north: 1 });
    assert.equal(row.quantity, 13);
    assert.equal(row.barcode, '4600000100012');
    assert.ok(row.synced_at instanceof Date);

    const state = (await readSyncState(db, SHOP_CATALOG_STREAM))!;
    const newest = shop.state.catalog.all().reduce((max, p) => (p.updatedAt > max ? p.updatedAt : max), '');
    assert.equal(state.cursor, newest);
    assert.equal(state.fullStartedAt, null);
    assert.ok(state.lastSuccessAt && state.lastFullSyncAt);
    assert.equal(state.itemsCount, 1026);
    assert.equal(state.lastError, null);
    assert.equal(s.degraded, false);
    assert.deepEqual(metrics.degraded, [['shop', false]]);

    // Nothing changed: one request, nothing written.
    shop.clearRequests();
    const idle = await s.syncNow();
    assert.equal(idle.mode, 'incremental');
    assert.equal(idle.upserted, 0);
    assert.equal(listCalls().length, 1);
    assert.equal(listCalls()[0]!.since, newest);
    assert.equal(listCalls()[0]!.start, '-1');
  });

  it('picks up updateProduct and stock changes incrementally and records the lag', async () => {
    const metrics = fakeMetrics();
    const { syncer: s } = syncer({ metrics });
    await s.syncNow();
    const before = (await readSyncState(db))!;

    shop.updateProduct(10003, { priceMaster: 1790, price: 2100, name: 'Дисплей для Apple iPhone 7 Plus (белый) — Копия AAA (новая партия)' });
    shop.setStock(10005, 'north', 7);
    shop.updateProduct(10010, { active: false });
    const changes: CatalogChange[] = [];
    s.on('changed', (c: CatalogChange) => changes.push(c));
    shop.clearRequests();
    const report = await s.syncNow();
    assert.equal(report.ok, true);
    assert.equal(report.mode, 'incremental');
    assert.equal(report.upserted, 3);
    assert.equal(listCalls().length, 1);
    assert.deepEqual(changes.map((c) => c.ids), [[10003, 10005, 10010]]);
    assert.ok(report.lagSeconds !== null && report.lagSeconds >= 0 && report.lagSeconds < 5, `lag ${report.lagSeconds}`);
    assert.deepEqual(metrics.lag.at(-1)?.[0], 'shop_catalog');

    const row = await db('catalog_items').where({ id: 10003 }).first();
    assert.equal(Number(row.price_master), 1790);
    assert.match(row.name, /новая партия/);
    assert.equal((await db('catalog_items').where({ id: 10005 }).first()).stock.north, 7);
    assert.equal((await db('catalog_items').where({ id: 10010 }).first()).active, false, 'deactivated products stay, marked inactive');
    const after = (await readSyncState(db))!;
    assert.ok(after.cursor! > before.cursor!);
    assert.ok(after.revision > before.revision);
  });

  it('resumes an interrupted import from the stored cursor instead of starting over', async () => {
    let calls = 0;
    let failAfter = 6;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (calls > failAfter) throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
      return fetch(input, init);
    };
    const metrics = fakeMetrics();
    const { syncer: s } = syncer({ fetch: flaky, batchSize: 100, metrics });
    const broken = await s.syncNow();
    assert.equal(broken.ok, false);
    assert.match(broken.error!, /not reachable \(ECONNREFUSED\)/);
    // 6 pages fetched, batches of 100 rows (2 pages) committed: 300 rows survive the interruption.
    assert.equal(Number((await db('catalog_items').count<{ count: string }[]>('* as count'))[0]!.count), 300);
    const state = (await readSyncState(db))!;
    assert.equal(state.cursor, null, 'the import has not finished');
    assert.ok(state.fullStartedAt && state.fullCursor);
    assert.equal(state.consecutiveFailures, 1);
    assert.match(state.lastError!, /ECONNREFUSED/);
    assert.equal(s.degraded, true);
    assert.deepEqual(metrics.degraded.at(-1), ['shop', true]);

    failAfter = Infinity;
    shop.clearRequests();
    const resumed = await s.syncNow();
    assert.equal(resumed.ok, true, resumed.error);
    assert.equal(resumed.mode, 'initial');
    assert.equal(resumed.upserted, 1026 - 300);
    const first = listCalls()[0]!;
    assert.equal(first.since, state.fullCursor, 'resumed where the last batch ended');
    assert.equal(listCalls().length, 15);
    assert.equal(Number((await db('catalog_items').count<{ count: string }[]>('* as count'))[0]!.count), 1026);
    assert.equal(s.degraded, false);
    assert.deepEqual(metrics.degraded.at(-1), ['shop', false]);
    const done = (await readSyncState(db))!;
    assert.equal(done.consecutiveFailures, 0);
    assert.equal(done.fullStartedAt, null);
  });

  it('keeps the cache during an outage, marks degraded and remembers the last success', async () => {
    const metrics = fakeMetrics();
    const { syncer: s, client } = syncer({ metrics, threshold: 2 });
    await s.syncNow();
    const okState = (await readSyncState(db))!;
    shop.setFaults({ outage: true });
    const failed: SyncReport[] = [];
    for (let i = 0; i < 3; i++) failed.push(await s.syncNow());
    assert.ok(failed.every((r) => !r.ok));
    assert.match(failed[0]!.error!, /503/);
    assert.match(failed[2]!.error!, /circuit breaker is open/);
    assert.equal(client.breakerState, 'open');
    assert.equal(s.degraded, true);
    const state = (await readSyncState(db))!;
    assert.equal(state.lastSuccessAt!.getTime(), okState.lastSuccessAt!.getTime());
    assert.equal(state.consecutiveFailures, 3);
    assert.ok(state.lagSeconds !== null && state.lagSeconds >= 0);
    assert.equal(Number((await db('catalog_items').count<{ count: string }[]>('* as count'))[0]!.count), 1026, 'the cache is kept');
    assert.deepEqual(metrics.degraded, [
      ['shop', false],
      ['shop', true],
    ]);
  });

  it('drops products the shop no longer lists on a full re-walk', async () => {
    const { syncer: s } = syncer();
    await s.syncNow();
    await db('catalog_items').insert({ id: 99999, name: 'Снятый с продажи товар', stock: '{}', updated_at_source: new Date('2020-01-01'), synced_at: new Date('2020-01-01') });
    const removed: number[] = [];
    s.on('changed', (c: CatalogChange) => removed.push(...c.removedIds));
    const report = await s.syncNow({ full: true });
    assert.equal(report.ok, true, report.error);
    assert.equal(report.fullWalkCompleted, true);
    assert.equal(report.removed, 1);
    assert.deepEqual(removed, [99999]);
    assert.equal(await db('catalog_items').where({ id: 99999 }).first(), undefined);
    assert.equal(Number((await db('catalog_items').count<{ count: string }[]>('* as count'))[0]!.count), 1026);
  });

  it('lets two instances import concurrently without losing or duplicating rows', async () => {
    const a = syncer({ batchSize: 50 }).syncer;
    const b = syncer({ batchSize: 50 }).syncer;
    const [ra, rb] = await Promise.all([a.syncNow(), b.syncNow()]);
    assert.ok(ra.ok && rb.ok, `${ra.error} ${rb.error}`);
    // Whoever lost a race yields; finishing the import may take the other one another pass.
    for (const s of [a, b]) if ((await readSyncState(db))!.cursor === null) await s.syncNow();
    assert.equal(Number((await db('catalog_items').count<{ count: string }[]>('* as count'))[0]!.count), 1026);
    const state = (await readSyncState(db))!;
    assert.ok(state.cursor);
    shop.updateProduct(10001, { priceMaster: 4000 });
    await Promise.all([a.syncNow(), b.syncNow()]);
    assert.equal(Number((await db('catalog_items').where({ id: 10001 }).first()).price_master), 4000);
  });

  it('runs on a timer and stops cleanly', async () => {
    const { syncer: s } = syncer();
    const reports: SyncReport[] = [];
    s.on('synced', (r: SyncReport) => reports.push(r));
    s.start(30);
    while (reports.length < 3) await new Promise((r) => setTimeout(r, 20));
    shop.updateProduct(10002, { priceMaster: 999 });
    const t0 = Date.now();
    while (Number((await db('catalog_items').where({ id: 10002 }).first()).price_master) !== 999) {
      assert.ok(Date.now() - t0 < 3000, 'the change arrives within a few intervals');
      await new Promise((r) => setTimeout(r, 20));
    }
    await s.stop();
    const n = reports.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(reports.length, n, 'no pass after stop()');
  });
});
