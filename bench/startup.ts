/**
 * Start-up figures: time from process spawn to /readyz 200 with the embedded PostgreSQL cold
 * (empty data folder: initdb, migrations) and warm (existing cluster), and resident memory
 * after 10 s idle. Each measured `--runs` times (default 3); medians reported.
 *
 *   npm run bench:startup -- [--runs 3] [--demo]     (--demo: with the sandboxes, as npm start)
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { freePort, median, prepareDataDir, startChild } from './support/child';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const demo = process.argv.includes('--demo');

async function once(dataDir: string, flowsDir: string, pgPort: number): Promise<{ readyMs: number; rssMb: number }> {
  const started = performance.now();
  const child = await startChild({ DATA_DIR: dataDir, FLOWS_DIR: flowsDir, EMBEDDED_PG_PORT: String(pgPort), DEMO_SANDBOXES: demo ? '1' : '0', SANDBOX_PORT_BASE: '0' });
  const readyMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 10_000));
  const rssMb = child.rssMb();
  await child.kill('SIGTERM');
  return { readyMs, rssMb };
}

async function main(): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { dataDir, flowsDir } = await prepareDataDir(path.join(PROJECT_ROOT, 'flows'));
    const pgPort = await freePort();
    const c = await once(dataDir, flowsDir, pgPort);
    const w = await once(dataDir, flowsDir, pgPort);
    cold.push(c.readyMs);
    warm.push(w.readyMs);
    rss.push(w.rssMb);
    console.error(`run ${i + 1}: cold ${c.readyMs.toFixed(0)} ms, warm ${w.readyMs.toFixed(0)} ms, idle RSS ${w.rssMb.toFixed(0)} MB`);
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ demo, runs, ready_ms_cold_median: Math.round(median(cold)), ready_ms_warm_median: Math.round(median(warm)), idle_rss_mb_median: Math.round(median(rss)) }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
