/**
 * Benchmark of an idempotent POST route through the real runtime: http in → Idempotency-Key gate
 * → contract validation → respond (stored before sent) → journal, plus the same route without
 * each node, all in one run so the per-node overhead is measured under the same conditions.
 *
 *   npm run bench:api -- [--rate 500] [--seconds 15] [--rounds 3] [--connections 50]
 *
 * Load is a fixed arrival rate (autocannon overallRate) with a unique key per request; latency
 * percentiles are computed from every response. Rounds alternate the variants; medians reported.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { median, percentile, prepareDataDir, startChild, freePort } from './support/child';

interface Args {
  rate: number;
  seconds: number;
  rounds: number;
  connections: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  return { rate: get('rate', 500), seconds: get('seconds', 15), rounds: get('rounds', 3), connections: get('connections', 50) };
}

const VARIANTS = ['full', 'no-gate', 'no-validate', 'no-journal', 'bare'] as const;
type Variant = (typeof VARIANTS)[number];

interface RoundResult {
  variant: Variant;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
  rssMb: number;
}

function eventBody(): string {
  return JSON.stringify({
    source: 'ut10',
    object_type: 'Catalog_Номенклатура',
    object_guid: randomUUID(),
    version: 'AAAAAQAAAAA=',
    message_no: 1,
    changed_at: new Date().toISOString(),
    data: { Description: 'Дисплей iPhone 11 (черный) — Оригинал', Code: 'УТ-00010115', Phone: '+7 912 345-67-89' },
  });
}

async function runOnce(baseUrl: string, variant: Variant, args: Args, rss: () => number): Promise<RoundResult> {
  const latencies: number[] = [];
  let peakRss = rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rss())), 500);
  let finish!: (r: autocannon.Result) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon({
    url: `${baseUrl}/bench/${variant}`,
    method: 'POST',
    connections: args.connections,
    overallRate: args.rate,
    duration: args.seconds,
    headers: { 'content-type': 'application/json', 'x-client': 'bench' },
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, 'idempotency-key': randomUUID() },
          body: eventBody(),
        }),
      },
    ],
  }, (err, res) => (err ? fail(err) : finish(res)));
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await done;
  clearInterval(sampler);
  latencies.sort((a, b) => a - b);
  return {
    variant,
    requests: result.requests.total,
    rps: result.requests.total / args.seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    rssMb: peakRss,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { dataDir, flowsDir } = await prepareDataDir(path.join(PROJECT_ROOT, 'bench', 'flows'));
  const child = await startChild({ DATA_DIR: dataDir, FLOWS_DIR: flowsDir, EMBEDDED_PG_PORT: String(await freePort()) });
  const idleRss = child.rssMb();
  try {
    // Warm-up: JIT, connection pools, journal partitions.
    await runOnce(child.baseUrl, 'full', { ...args, seconds: 10 }, child.rssMb);
    const rounds: RoundResult[] = [];
    for (let r = 0; r < args.rounds; r++) {
      // Each round starts with another variant, so no variant always runs first (or last).
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
      for (const v of order) {
        const res = await runOnce(child.baseUrl, v, args, child.rssMb);
        rounds.push(res);
        console.error(`round ${r + 1} ${v.padEnd(12)} rps=${res.rps.toFixed(0)} p50=${res.p50}ms p95=${res.p95}ms p99=${res.p99}ms errors=${res.errors} non2xx=${res.non2xx}`);
      }
    }
    const summary = VARIANTS.map((v) => {
      const rs = rounds.filter((r) => r.variant === v);
      return {
        variant: v,
        rps: Math.round(median(rs.map((r) => r.rps))),
        p50_ms: median(rs.map((r) => r.p50)),
        p95_ms: median(rs.map((r) => r.p95)),
        p99_ms: median(rs.map((r) => r.p99)),
        errors: rs.reduce((n, r) => n + r.errors + r.non2xx, 0),
        peak_rss_mb: Math.round(Math.max(...rs.map((r) => r.rssMb))),
      };
    });
    const full = summary.find((s) => s.variant === 'full')!;
    const overhead = Object.fromEntries(
      (['gate', 'validate', 'journal'] as const).map((node) => {
        const without = summary.find((s) => s.variant === `no-${node}`)!;
        return [node, { p50_ms: +(full.p50_ms - without.p50_ms).toFixed(2), p95_ms: +(full.p95_ms - without.p95_ms).toFixed(2) }];
      }),
    );
    const report = { when: new Date().toISOString(), args, idle_rss_mb: Math.round(idleRss), summary, overhead_of_each_node: overhead };
    console.log(JSON.stringify(report, null, 2));
    await mkdir(path.join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(path.join(PROJECT_ROOT, 'bench', 'results', `api-post-${Date.now()}.json`), JSON.stringify(report, null, 2));
  } finally {
    await child.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
