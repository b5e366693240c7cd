import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwCatalogSearch from '../../nodes/mw-catalog-search/mw-catalog-search';
import { mwCatalogSearchMigrations } from '../../nodes/mw-catalog-search/config';
import registerMwShop from '../../nodes/mw-shop/mw-shop';
import { createShopSandbox, type ShopSandbox } from '../../sandbox/shop';
import { createCatalogRuntime, registerCatalogRuntime, type CatalogRuntime } from '../../src/catalog/runtime';
import { createMetrics } from '../../src/metrics';
import { migrateConfig } from '../../src/node-config/migrations';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';

type Msg = Record<string, any>;

describe('mw-catalog-search node', () => {
  let shop: ShopSandbox;
  let url: string;
  let db: Knex;
  let drop: () => Promise<void>;

  before(async () => {
    shop = createShopSandbox();
    url = await shop.start();
    ({ db, drop } = await createTestDatabase('mw_test_catnode'));
  });
  after(async () => {
    await shop.stop();
    await drop();
  });
  afterEach(() => helper.unload());

  const flow = (node: Record<string, unknown> = {}): object[] => [
    { id: 'c1', type: 'mw-config', name: 'mw', version: 1 },
    { id: 'q', type: 'mw-catalog-search', mwConfig: 'c1', mode: 'search', queryProperty: 'payload', limit: 10, channel: 'telegram', version: 1, wires: [['found'], ['nothing']], ...node },
    { id: 'found', type: 'helper' },
    { id: 'nothing', type: 'helper' },
  ];

  /**
   * Sends a message and resolves with the output it came out of. One listener per output for the
   * whole flow: Node-RED calls input listeners from a live list, so once-listeners removing
   * themselves can make a later one miss its message.
   */
  let outputs: { port: 'found' | 'nothing'; msg: Msg }[] = [];
  let waiting: (() => void) | undefined;
  function listen(): void {
    outputs = [];
    for (const port of ['found', 'nothing'] as const) {
      helper.getNode(port).on('input', (m: Msg) => {
        outputs.push({ port, msg: m });
        waiting?.();
      });
    }
  }

  async function ask(msg: Msg): Promise<{ port: 'found' | 'nothing'; msg: Msg }> {
    const before = outputs.length;
    const arrived = new Promise<void>((resolve) => {
      waiting = () => {
        if (outputs.length > before) resolve();
      };
    });
    helper.getNode('q').receive(msg);
    await arrived;
    return outputs[before]!;
  }

  it('migrates an old config to version 1', () => {
    const c = migrateConfig('mw-catalog-search', { mode: 'msg', limit: '500', queryProperty: 'msg.text' }, mwCatalogSearchMigrations);
    assert.deepEqual([c.version, c.mode, c.limit, c.queryProperty, c.channel], [1, '', 50, 'text', 'telegram']);
  });

  describe('with the runtime of the application', () => {
    let runtime: CatalogRuntime;
    let unregister: () => void;
    const metrics = createMetrics({ defaultMetrics: false });

    before(async () => {
      runtime = createCatalogRuntime({ db, env: {}, metrics, config: { apiUrl: url, syncIntervalMs: 0, breakerThreshold: 2, breakerCooldownMs: 60_000 } });
      assert.equal((await runtime.syncer!.syncNow()).upserted, 1026);
      await runtime.start();
      unregister = registerCatalogRuntime(db, runtime);
    });
    after(async () => {
      unregister();
      await runtime.stop();
    });

    async function load(node: Record<string, unknown> = {}): Promise<void> {
      useServices(testServices(db, { metrics }));
      await helper.load([registerMwConfig, registerMwCatalogSearch], flow(node));
      listen();
    }

    it('answers a search on output 1 with prices, stock and freshness; nothing found on output 2', async () => {
      await load();
      const hit = await ask({ payload: 'акб редми 9а' });
      assert.equal(hit.port, 'found');
      assert.deepEqual(
        hit.msg.payload.items.map((i: Msg) => i.id),
        [10675, 10676],
      );
      assert.equal(typeof hit.msg.payload.items[0].priceMaster, 'number');
      assert.equal(typeof hit.msg.payload.items[0].stockTotal, 'number');
      assert.equal(hit.msg.payload.degraded, false);
      assert.ok(hit.msg.payload.asOf);
      assert.match(hit.msg.payload.asOfText, /^цены и наличие на /);

      const miss = await ask({ payload: { q: 'дисплей iphone 5s' } });
      assert.equal(miss.port, 'nothing');
      assert.equal(miss.msg.payload.nothingFound, true);
      assert.match(miss.msg.payload.explanation, /Ничего не найдено/);
      const scrape = await metrics.scrape();
      assert.match(scrape, /search_queries_total\{channel="telegram"\} 2/);
      assert.match(scrape, /search_no_result_total\{channel="telegram"\} 1/);
    });

    it('looks up an item and compatibility, also by msg.mode', async () => {
      await load({ mode: '' });
      const item = await ask({ mode: 'item', payload: '10673' });
      assert.equal(item.port, 'found');
      assert.equal(item.msg.payload.item.id, 10673);
      const missing = await ask({ mode: 'item', payload: 1 });
      assert.equal(missing.port, 'nothing');

      const parts = await ask({ mode: 'compat', payload: 'дисплей редми 9с' });
      assert.equal(parts.port, 'found');
      assert.deepEqual(
        parts.msg.payload.parts.map((p: Msg) => p.id),
        [10673, 10674],
      );
      assert.deepEqual(parts.msg.payload.parts[0].sharedWith, ['Xiaomi Redmi 9A', 'Xiaomi Redmi 10A']);
      const models = await ask({ mode: 'compat', payload: 10673 });
      assert.deepEqual(models.msg.payload.models, ['Xiaomi Redmi 9A', 'Xiaomi Redmi 9C', 'Xiaomi Redmi 10A']);
      const none = await ask({ mode: 'compat', payload: { model: 'nokia 3310' } });
      assert.equal(none.port, 'nothing');

      const node = helper.getNode('q');
      const error = new Promise<unknown[]>((resolve) => node.once('call:error', (call: { args: unknown[] }) => resolve(call.args)));
      node.receive({ mode: 'teleport', payload: 'x' });
      assert.match(String((await error)[0]), /mode/);
    });

    it('keeps answering with degraded=true while the shop is down', async () => {
      await load();
      const statuses: { text?: string; fill?: string }[] = [];
      helper.getNode('q').on('call:status', (call: { args: [{ text?: string; fill?: string }] }) => statuses.push(call.args[0]));
      shop.setFaults({ outage: true });
      try {
        await runtime.syncer!.syncNow();
        const r = await ask({ payload: 'дисплей iphone 11' });
        assert.equal(r.port, 'found');
        assert.equal(r.msg.payload.degraded, true);
        assert.equal(r.msg.payload.items.length, 2);
        assert.ok(statuses.some((s) => s.fill === 'yellow'), JSON.stringify(statuses));
      } finally {
        shop.setFaults({});
      }
      assert.equal((await runtime.syncer!.syncNow()).ok, true);
      assert.equal((await ask({ payload: 'дисплей iphone 11' })).msg.payload.degraded, false);
    });
  });

  describe('without a runtime from the application', () => {
    const saved: Record<string, string | undefined> = {};
    const env = { SHOP_API_URL: '', CATALOG_SYNC_INTERVAL_MS: '50', CATALOG_SEARCH_WORKER: '1' };

    before(async () => {
      await db('catalog_items').delete();
      await db('catalog_sync_state').delete();
      for (const [k, v] of Object.entries({ ...env, SHOP_API_URL: url })) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
    });
    after(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    it('creates one shared runtime from the environment, syncs the catalog and answers', async () => {
      useServices(testServices(db));
      await helper.load(
        [registerMwConfig, registerMwCatalogSearch, registerMwShop],
        [
          ...flow(),
          { id: 's', type: 'mw-shop', mwConfig: 'c1', operation: 'catalog.product.get', tokenProperty: 'user.shopToken', timeout: 0, version: 1, wires: [[], [], []] },
        ],
      );
      listen();
      const t0 = Date.now();
      for (;;) {
        const r = await ask({ payload: 'акб bn46' });
        if (r.port === 'found') {
          assert.deepEqual(
            r.msg.payload.items.map((i: Msg) => i.id),
            [10648, 10649],
          );
          break;
        }
        assert.ok(Date.now() - t0 < 15_000, 'the catalog arrives from the shop');
        await new Promise((res) => setTimeout(res, 100));
      }
      const count = await db('catalog_items').count<{ count: string }[]>('* as count');
      assert.equal(Number(count[0]!.count), 1026);
      await helper.unload();
      // The last node closing stopped the runtime: no more syncing.
      shop.clearRequests();
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(shop.requests.length, 0);
    });
  });
});
