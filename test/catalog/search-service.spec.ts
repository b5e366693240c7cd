import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Knex } from 'knex';
import { createShopSandbox, type ShopSandbox } from '../../sandbox/shop';
import { asOfText, formatAsOfTime } from '../../src/catalog/as-of';
import { CatalogNotReadyError, CatalogSearchService } from '../../src/catalog/search-service';
import { CatalogSyncer } from '../../src/catalog/sync';
import { readSyncState } from '../../src/catalog/store';
import { evaluate, type GoldenQuery } from '../../src/search/eval';
import { readJsonl } from '../../src/search/io';
import { ShopClient } from '../../src/shop/client';
import { createTestDatabase } from '../support/postgres';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');

function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  return (async () => {
    for (;;) {
      if (await check()) return;
      if (Date.now() - t0 > timeoutMs) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
}

describe('catalog search service (PostgreSQL cache → search engine)', () => {
  let shop: ShopSandbox;
  let db: Knex;
  let drop: () => Promise<void>;
  let client: ShopClient;
  let syncer: CatalogSyncer;
  let service: CatalogSearchService;
  const searches: [boolean, string | undefined][] = [];

  before(async () => {
    shop = createShopSandbox();
    const url = await shop.start();
    ({ db, drop } = await createTestDatabase('mw_test_catsearch'));
    client = new ShopClient({ baseUrl: url, timeoutMs: 2000, breaker: { failureThreshold: 3, cooldownMs: 60_000 } });
    syncer = new CatalogSyncer({ db, source: client });
    const report = await syncer.syncNow();
    assert.equal(report.upserted, 1026);
    service = new CatalogSearchService({
      db,
      syncer,
      shop: client,
      pollIntervalMs: 0,
      rebuildDelayMs: 50,
      metrics: { recordSearch: (noResult, channel) => void searches.push([noResult, channel]) },
    });
    await service.start();
  });
  after(async () => {
    await service?.stop();
    await syncer?.close();
    await shop.stop();
    await drop();
  });

  it('answers from the cache in a worker thread, with master prices, stock and freshness', async () => {
    assert.equal(service.engineKind, 'worker');
    const r = await service.search('дисплей iphone 11', { channel: 'telegram' });
    assert.deepEqual(r.items.map((i) => i.id).sort(), [10115, 10116]);
    assert.equal(r.items[0]!.inStock, true, 'in stock first');
    const first = r.items[0]!;
    assert.equal(first.partType, 'display');
    assert.equal(typeof first.priceMaster, 'number');
    assert.ok(first.priceMaster! < first.price!);
    assert.equal(first.stockTotal, Object.values(first.stock).reduce((a, b) => a + b, 0));
    assert.equal(first.currency, 'RUB');
    assert.ok(first.score > 0);
    assert.match(r.explanation, /^Понял: /);
    assert.equal(r.degraded, false);
    const state = (await readSyncState(db))!;
    assert.equal(r.asOf, state.lastSuccessAt!.toISOString());
    assert.match(r.asOfText!, /^цены и наличие на \d\d:\d\d$/);
    assert.deepEqual(searches.at(-1), [false, 'telegram']);

    const none = await service.search('дисплей iphone 5s');
    assert.equal(none.nothingFound, true);
    assert.deepEqual(searches.at(-1), [true, undefined]);
    const item = await service.getItem(10115);
    assert.equal(item.item?.id, 10115);
    assert.equal((await service.getItem(1)).item, null);
  });

  it('keeps the search quality of the engine (golden set through the service)', async () => {
    const golden = readJsonl<GoldenQuery>(path.join(FIXTURES, 'golden-dev.jsonl'));
    const answers = new Map<string, number[]>();
    for (const g of golden) answers.set(g.q, (await service.search(g.q)).items.map((i) => i.id));
    const { summary } = evaluate(golden, (q) => answers.get(q) ?? []);
    assert.ok(summary.meanF1 >= 0.9, `meanF1=${summary.meanF1}`);
  });

  it('tells which models a part fits and which parts fit a model, shared parts marked', async () => {
    const byItem = await service.compat({ itemId: 10673 });
    assert.equal(byItem.kind, 'item');
    assert.deepEqual(byItem.models, ['Xiaomi Redmi 9A', 'Xiaomi Redmi 9C', 'Xiaomi Redmi 10A']);
    assert.match(byItem.explanation, /подходит для: Xiaomi Redmi 9A, Xiaomi Redmi 9C, Xiaomi Redmi 10A/);

    const byModel = await service.compat({ model: 'редми 9а' });
    assert.equal(byModel.kind, 'model');
    assert.deepEqual(byModel.models, ['Xiaomi Redmi 9A']);
    assert.deepEqual(
      byModel.parts.map((p) => p.id).sort(),
      [10673, 10674, 10675, 10676, 10677, 10678, 10679, 10680, 10681, 10682, 10683, 10684, 10685, 10686],
    );
    const display = byModel.parts.find((p) => p.id === 10673)!;
    assert.deepEqual(display.sharedWith, ['Xiaomi Redmi 9C', 'Xiaomi Redmi 10A']);
    assert.deepEqual(byModel.parts.find((p) => p.id === 10679)!.sharedWith, ['Xiaomi Redmi 9C']);
    assert.deepEqual(byModel.parts.find((p) => p.id === 10677)!.sharedWith, []);
    assert.deepEqual(byModel.sharedModels, ['Xiaomi Redmi 10A', 'Xiaomi Redmi 9C']);
    assert.equal(byModel.parts[0]!.partType, 'display', 'grouped by part type, displays first');
    assert.equal(byModel.partTypes.display, 'Дисплей');
    assert.match(byModel.explanation, /общих с другими моделями: 7/);

    const displays = await service.compat({ model: 'дисплей redmi 9c' });
    assert.deepEqual(
      displays.parts.map((p) => p.id),
      [10673, 10674],
    );
    const unknown = await service.compat({ model: 'nokia 3310' });
    assert.equal(unknown.parts.length, 0);
    assert.match(unknown.explanation, /не найдена|уточните/);
  });

  it('shows price and stock changes at once and indexes renamed items after a rebuild', async () => {
    shop.updateProduct(10115, { priceMaster: 12345 });
    shop.setStock(10116, 'central', 0);
    shop.setStock(10116, 'north', 0);
    const rebuilt = new Promise<void>((resolve) => service.once('rebuilt', () => resolve()));
    shop.updateProduct(10117, { name: 'Аккумулятор для Apple iPhone 11 — Оригинал (суперпартия)' });
    await syncer.syncNow();
    await until(async () => (await service.search('дисплей iphone 11')).items.find((i) => i.id === 10115)?.priceMaster === 12345, 5000, 'patched price');
    const r = await service.search('дисплей iphone 11');
    const out = r.items.find((i) => i.id === 10116)!;
    assert.equal(out.stockTotal, 0);
    assert.equal(out.inStock, false);
    await rebuilt;
    const renamed = await service.search('суперпартия');
    assert.deepEqual(
      renamed.items.map((i) => i.id),
      [10117],
    );
  });

  it('hides deactivated items without waiting for a rebuild', async () => {
    shop.updateProduct(10116, { active: false });
    await syncer.syncNow();
    await until(async () => !(await service.search('дисплей iphone 11')).items.some((i) => i.id === 10116), 5000, 'hidden item');
    assert.equal((await service.getItem(10116)).item?.active, false, 'still known for look-ups (old orders)');
    shop.updateProduct(10116, { active: true });
    await syncer.syncNow();
    await until(async () => (await service.search('дисплей iphone 11')).items.some((i) => i.id === 10116), 5000, 'shown again');
  });

  it('keeps answering from the cache with degraded=true and asOf while the shop is down', async () => {
    const before = (await readSyncState(db))!.lastSuccessAt!;
    shop.setFaults({ outage: true });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await syncer.syncNow()).ok, false);
      const r = await service.search('акб redmi 9a');
      assert.deepEqual(
        r.items.map((i) => i.id),
        [10675, 10676],
      );
      assert.equal(r.degraded, true);
      assert.equal(r.asOf, before.toISOString());
      assert.equal(r.asOfText, asOfText(before));
      assert.equal(client.breakerState, 'open');
      assert.equal((await service.status()).degraded, true);
      assert.equal((await service.compat({ itemId: 10675 })).degraded, true);
    } finally {
      shop.setFaults({});
    }
    client.breaker.recordSuccess();
    assert.equal((await syncer.syncNow()).ok, true);
    const back = await service.search('акб redmi 9a');
    assert.equal(back.degraded, false);
    assert.ok(Date.parse(back.asOf!) > before.getTime());
  });

  it('answers from the current generation while a new one is built (no blocking on rebuild)', async () => {
    let answeredDuringBuild = 0;
    let building = true;
    const rebuild = service.rebuild().finally(() => {
      building = false;
    });
    let maxGapMs = 0;
    let last = Date.now();
    while (building) {
      const r = await service.search('дисплей iphone 11');
      assert.equal(r.items.length, 2);
      const now = Date.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
      if (building) answeredDuringBuild++;
    }
    await rebuild;
    assert.ok(answeredDuringBuild > 3, `only ${answeredDuringBuild} answers during the rebuild`);
    assert.ok(maxGapMs < 200, `a search waited ${maxGapMs} ms`);
    const status = await service.status();
    assert.equal(status.engine, 'worker');
    assert.equal(status.indexed, 1026);
    assert.ok(status.lastBuild && status.lastBuild.items === 1026);
  });

  it('follows commits of other instances through the revision poll (inline engine)', async () => {
    const other = new CatalogSearchService({ db, worker: false, pollIntervalMs: 0, rebuildDelayMs: 20 });
    await assert.rejects(other.search('x'), CatalogNotReadyError);
    await other.start();
    try {
      assert.equal(other.engineKind, 'inline');
      // Another instance's syncer (not attached to this service) commits a change.
      const foreign = new CatalogSyncer({ db, source: client });
      shop.updateProduct(10115, { priceMaster: 777 });
      await foreign.syncNow();
      await foreign.close();
      assert.notEqual((await other.search('дисплей iphone 11')).items.find((i) => i.id === 10115)?.priceMaster, 777);
      await other.refresh();
      assert.equal((await other.search('дисплей iphone 11')).items.find((i) => i.id === 10115)?.priceMaster, 777);
    } finally {
      await other.stop();
    }
  });

  it('formats "as of" in Moscow time', () => {
    const now = new Date('2026-03-02T10:00:00Z');
    assert.equal(formatAsOfTime(new Date('2026-03-02T09:05:00Z'), now), '12:05');
    assert.equal(formatAsOfTime(new Date('2026-03-01T20:59:00Z'), now), '01.03 23:59', 'still 1 March in Moscow: dated');
  });
});
