// Catalog search latency benchmark (SPEC §4: p95 ≤ 20 ms on a 100k-item catalog).
//   node --expose-gc --import tsx bench/search.ts [--count 100000] [--queries 3000] [--seed 42]
// (--expose-gc is optional; with it the index heap figure excludes garbage.)
// Builds the index over a synthetic catalog (scripts/gen-catalog.ts), runs
// generated realistic queries and prints latency percentiles, build time and memory.
import { performance } from 'node:perf_hooks';
import { generateCatalog } from '../scripts/gen-catalog';
import { SearchEngine } from '../src/search/engine';
import { generateQueries } from './search-queries';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const mb = (b: number) => (b / 1024 / 1024).toFixed(0);

function main(): void {
  const count = arg('count', 100_000);
  const nQueries = arg('queries', 3000);
  const { items, devices } = generateCatalog({ count, seed: arg('seed', 42) });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const engine = SearchEngine.fromCatalog(items, devices);
  const buildMs = performance.now() - t0;
  gc?.();
  const indexHeap = process.memoryUsage().heapUsed - heapBefore;
  const queries = generateQueries(items, nQueries);
  for (const q of queries.slice(0, 200)) engine.search(q); // warm-up (JIT, fuzzy caches are per query string)
  const times: number[] = [];
  let empty = 0;
  for (const q of queries) {
    const s = performance.now();
    const r = engine.search(q);
    times.push(performance.now() - s);
    if (!r.items.length) empty++;
  }
  times.sort((a, b) => a - b);
  const mem = process.memoryUsage();
  const fmt = (x: number) => x.toFixed(2);
  process.stdout.write(
    [
      `catalog=${items.length} models=${engine.index.registry.models.length} queries=${queries.length} empty=${empty}`,
      `build_ms=${buildMs.toFixed(0)} heap_index_mb${gc ? '=' : '≈'}${mb(indexHeap)} heap_mb=${mb(mem.heapUsed)} rss_mb=${mb(mem.rss)}`,
      `latency_ms p50=${fmt(percentile(times, 50))} p95=${fmt(percentile(times, 95))} p99=${fmt(percentile(times, 99))} max=${fmt(times[times.length - 1]!)}`,
    ].join('\n') + '\n',
  );
}

main();
