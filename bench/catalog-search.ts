// Catalog search through the service, over the PostgreSQL cache (SPEC §4: p95 ≤ 20 ms on 100k items).
//   TEST_PG_PORT=54351 node --import tsx bench/catalog-search.ts [--count 100000] [--queries 3000] [--concurrency 32] [--inline]
// Uses the test PostgreSQL (TEST_DATABASE_URL or the embedded cluster of TEST_PG_PORT) in a fresh
// database, fills catalog_items from the synthetic catalog (scripts/gen-catalog.ts), starts
// CatalogSearchService (engine in a worker thread unless --inline) and measures: build, search
// latency (sequential and concurrent), a price patch, and a rebuild under load (event-loop delay
// and the slowest answer while the next generation is built).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { CatalogSearchService } from '../src/catalog/search-service';
import { ensureSyncState, updateSyncState } from '../src/catalog/store';
import { generateCatalog } from '../scripts/gen-catalog';
import { createTestDatabase, stopTestPostgres } from '../test/support/postgres';
import { generateQueries } from './search-queries';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const fmt = (x: number): string => x.toFixed(2);

async function main(): Promise<void> {
  const count = arg('count', 100_000);
  const nQueries = arg('queries', 3000);
  const concurrency = arg('concurrency', 32);
  const inline = process.argv.includes('--inline');
  const { items, devices } = generateCatalog({ count, seed: arg('seed', 42) });
  const dir = mkdtempSync(path.join(tmpdir(), 'catalog-bench-'));
  const devicesFile = path.join(dir, 'devices.json');
  writeFileSync(devicesFile, JSON.stringify(devices));
  const { db, drop } = await createTestDatabase('mw_bench_catalog');
  const lines: string[] = [];
  let service: CatalogSearchService | undefined;
  try {
    // 1. The cache, as the syncer would leave it.
    let t = performance.now();
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < items.length; i += 2000) {
      const rows = items.slice(i, i + 2000).map((it, k) => ({
        id: it.id,
        xml_id: it.xml_id ?? null,
        code: it.code ?? null,
        article: it.article ?? null,
        name: it.name,
        section: it.section ?? null,
        part_type: it.part_type ?? null,
        brand: it.brand ?? null,
        models: it.models ?? [],
        quality: it.quality ?? null,
        color: it.color ?? null,
        price: it.price ?? null,
        price_master: it.price_master ?? it.price ?? null,
        stock: JSON.stringify(it.stock ?? {}),
        quantity: Object.values(it.stock ?? {}).reduce((a, b) => a + b, 0),
        barcode: it.barcode ?? null,
        updated_at_source: new Date(base + i + k),
      }));
      await db('catalog_items').insert(rows);
    }
    await ensureSyncState(db);
    await updateSyncState(db, 'shop.catalog', { cursor: new Date(base + items.length).toISOString(), lastSuccessAt: new Date(), itemsCount: items.length });
    const insertMs = performance.now() - t;

    // 2. The first index.
    service = new CatalogSearchService({ db, devicesFile, worker: !inline, pollIntervalMs: 0, rebuildDelayMs: 60_000, searchTimeoutMs: 30_000 });
    t = performance.now();
    await service.start();
    const startMs = performance.now() - t;
    const build = (await service.status()).lastBuild!;
    lines.push(
      `catalog=${items.length} engine=${service.engineKind} insert_ms=${insertMs.toFixed(0)} start_ms=${startMs.toFixed(0)} (load_ms=${build.loadMs} build_ms=${build.buildMs})`,
    );

    // 3. Sequential latency through the service.
    const queries = generateQueries(items, nQueries);
    for (const q of queries.slice(0, 200)) await service.search(q);
    const times: number[] = [];
    let empty = 0;
    for (const q of queries) {
      const s = performance.now();
      const r = await service.search(q);
      times.push(performance.now() - s);
      if (!r.items.length) empty++;
    }
    times.sort((a, b) => a - b);
    lines.push(
      `sequential queries=${queries.length} empty=${empty} latency_ms p50=${fmt(percentile(times, 50))} p95=${fmt(percentile(times, 95))} p99=${fmt(percentile(times, 99))} max=${fmt(times.at(-1)!)}`,
    );

    // 4. Concurrent callers (the bot and the API at once).
    const conc: number[] = [];
    let next = 0;
    t = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < queries.length) {
          const q = queries[next++]!;
          const s = performance.now();
          await service!.search(q);
          conc.push(performance.now() - s);
        }
      }),
    );
    const concMs = performance.now() - t;
    conc.sort((a, b) => a - b);
    lines.push(
      `concurrent=${concurrency} throughput_qps=${((queries.length / concMs) * 1000).toFixed(0)} latency_ms p50=${fmt(percentile(conc, 50))} p95=${fmt(percentile(conc, 95))} p99=${fmt(percentile(conc, 99))}`,
    );

    // 5. A price/stock delta (what an incremental sync commits), applied without a rebuild.
    const changed = items.slice(0, 500).map((i) => i.id);
    await db('catalog_items').whereIn('id', changed).update({ price_master: 1, synced_at: db.raw('clock_timestamp()') });
    await db('catalog_sync_state').update({ revision: db.raw('revision + 1') });
    t = performance.now();
    await service.refresh();
    lines.push(`patch rows=${changed.length} apply_ms=${(performance.now() - t).toFixed(0)}`);

    // 6. A rebuild while answering: how long does the event loop stall, how slow is the slowest answer?
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let building = true;
    t = performance.now();
    const rebuild = service.rebuild().finally(() => {
      building = false;
    });
    const during: number[] = [];
    let i = 0;
    while (building) {
      const s = performance.now();
      await service.search(queries[i++ % queries.length]!);
      during.push(performance.now() - s);
    }
    await rebuild;
    loop.disable();
    during.sort((a, b) => a - b);
    lines.push(
      `rebuild_ms=${(performance.now() - t).toFixed(0)} answered_during=${during.length} latency_ms p95=${fmt(percentile(during, 95))} max=${fmt(during.at(-1) ?? 0)} event_loop_max_ms=${fmt(loop.max / 1e6)}`,
    );
    const mem = process.memoryUsage();
    lines.push(`main_heap_mb=${(mem.heapUsed / 1048576).toFixed(0)} rss_mb=${(mem.rss / 1048576).toFixed(0)}`);
  } finally {
    await service?.stop();
    await drop();
    await stopTestPostgres();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
