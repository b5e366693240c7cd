/**
 * Mixed-load benchmark of API v1 through the real middleware (flows/api-v1-*.json) against the
 * web shop sandbox (SPEC §4: ≤ 50 ms p95 at 500 rps, zero errors; zero duplicate orders).
 *
 *   node --import tsx bench/api-mixed.ts [--rate 500] [--seconds 30] [--users 50] [--instances 20] [--connections 5]
 *
 * - The shop sandbox runs in this process (so carts can be filled and orders counted directly);
 *   the middleware runs as a child the way `npm start` runs it (embedded PostgreSQL, catalog sync
 *   every 5 s, search in a worker thread), with only the API v1 tabs deployed.
 * - `--users` masters log in through POST /api/v1/auth/telegram (signed Login Widget data) and
 *   share the load round-robin, so no one hits the per-user rate limits.
 * - Mix per 20 requests: 16 searches (realistic master queries rendered from the catalog),
 *   3 item cards, 1 order POST (COD, courier) with a unique Idempotency-Key. Before each order
 *   the master's cart gets one line in the sandbox directly (not through the API, so the mix
 *   stays 80/15/5); each master orders every ≈2 s, each time a different part.
 * - Fixed arrival rate: `--instances` autocannon instances of rate/instances rps each, started
 *   evenly staggered over one second (autocannon paces per connection per second, so one
 *   instance would send every second's requests in one burst). Latency percentiles come from
 *   every response (autocannon's responseTime), per kind and overall.
 * - Errors: any status other than 200 (GET) / 201 (order), connection errors and timeouts.
 * - Duplicates: orders in the sandbox sharing (user, externalId); and orders whose lines repeat
 *   a same-user order within 60 s (sandbox.suspectedDuplicateOrders). Both must be 0, and every
 *   201 must name a distinct order.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import type { CatalogItem } from '../src/search/types';
import { createShopSandbox, signTelegramLogin } from '../sandbox/shop';
import { generateQueries } from './search-queries';
import { freePort, percentile, startChild } from './support/child';

interface Args {
  rate: number;
  seconds: number;
  users: number;
  instances: number;
  connections: number;
  warmup: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  return {
    rate: get('rate', 500),
    seconds: get('seconds', 30),
    users: get('users', 50),
    instances: get('instances', 20),
    connections: get('connections', 5),
    warmup: get('warmup', 8),
  };
}

type Kind = 'search' | 'item' | 'order';
const KINDS: readonly Kind[] = ['search', 'item', 'order'];
const EXPECTED: Record<Kind, number> = { search: 200, item: 200, order: 201 };
const COD = JSON.stringify({ payment_type: 'cod', delivery: 'courier', address: 'Москва, ул. Ленина, 1, сервис «Мастер»', phone: '+79991234567' });

interface Master {
  telegramId: number;
  shopUserId: number;
  auth: string;
  orders: number;
}

/** The API-only flows folder: the API v1 tabs, the config node they use, a manifest listing them. */
async function apiFlowsDir(dataDir: string): Promise<string> {
  const source = path.join(PROJECT_ROOT, 'flows');
  const flowsDir = path.join(dataDir, 'flows');
  await mkdir(flowsDir, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(source, 'manifest.json'), 'utf8')) as { tabs: string[] };
  const tabs = manifest.tabs.filter((t) => t.startsWith('api-v1-'));
  for (const tab of tabs) await cp(path.join(source, tab), path.join(flowsDir, tab));
  const config = JSON.parse(await readFile(path.join(source, 'config-nodes.json'), 'utf8')) as { id: string }[];
  await writeFile(path.join(flowsDir, 'config-nodes.json'), `${JSON.stringify(config.filter((n) => n.id === 'mw.config'), null, 2)}\n`);
  await writeFile(path.join(flowsDir, 'manifest.json'), `${JSON.stringify({ ...manifest, tabs }, null, 2)}\n`);
  return flowsDir;
}

function postJson(url: string, body: unknown, localAddress: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as unknown }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** CPU seconds used so far by a process (all threads; its main thread alone) and by its descendants (PostgreSQL), from /proc. */
function cpuSeconds(rootPid: number): { self: number; main: number; children: number } {
  const HZ = 100;
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone meanwhile
    }
  }
  const isDescendant = (pid: number): boolean => {
    for (let p = stats.get(pid)?.ppid; p && p > 1; p = stats.get(p)?.ppid) if (p === rootPid) return true;
    return false;
  };
  let children = 0;
  for (const [pid, s] of stats) if (isDescendant(pid)) children += s.ticks;
  let main = 0;
  try {
    const text = readFileSync(`/proc/${rootPid}/task/${rootPid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    main = Number(fields[11]) + Number(fields[12]);
  } catch {
    main = 0;
  }
  return { self: (stats.get(rootPid)?.ticks ?? 0) / HZ, main: main / HZ, children: children / HZ };
}

interface Sample {
  kind: Kind;
  status: number;
  ms: number;
}

interface RunResult {
  samples: Sample[];
  errors: number;
  timeouts: number;
  wallSeconds: number;
  orderAnswers: { key: string; status: number; orderId?: number }[];
}

async function drive(baseUrl: string, args: Args, rate: number, seconds: number, next: () => { kind: Kind; request: autocannon.Request; key?: string }): Promise<RunResult> {
  const samples: Sample[] = [];
  const orderAnswers: RunResult['orderAnswers'] = [];
  let errors = 0;
  let timeouts = 0;
  const perInstance = rate / args.instances;
  const started = performance.now();
  const runs: Promise<void>[] = [];
  for (let i = 0; i < args.instances; i++) {
    runs.push(
      new Promise<void>((resolve, reject) => {
        setTimeout(() => {
          const instance = autocannon(
            {
              url: baseUrl,
              connections: args.connections,
              overallRate: perInstance,
              duration: seconds,
              timeout: 10,
              requests: [
                {
                  setupRequest: (req, ctx: object) => {
                    const context = ctx as Record<string, unknown>;
                    const { kind, request, key } = next();
                    context.kind = kind;
                    context.key = key;
                    return { ...req, ...request };
                  },
                  onResponse: (status, body, ctx: object) => {
                    const context = ctx as Record<string, unknown>;
                    if (context.kind === 'order') {
                      let orderId: number | undefined;
                      try {
                        orderId = (JSON.parse(body) as { id?: number }).id;
                      } catch {
                        orderId = undefined;
                      }
                      orderAnswers.push({ key: String(context.key), status, orderId });
                    }
                  },
                },
              ],
            },
            (err, res) => {
              if (err) return reject(err);
              errors += res.errors;
              timeouts += res.timeouts;
              resolve();
            },
          );
          instance.on('response', (client: unknown, status: number, _bytes: number, ms: number) => {
            const context = (client as { requestIterator: { context: { kind: Kind } } }).requestIterator.context;
            samples.push({ kind: context.kind, status, ms });
          });
        }, (1000 / args.instances) * i);
      }),
    );
  }
  await Promise.all(runs);
  return { samples, errors, timeouts, wallSeconds: (performance.now() - started) / 1000, orderAnswers };
}

function stats(samples: Sample[]): { count: number; p50: number; p95: number; p99: number; max: number } {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { count: ms.length, p50: r(percentile(ms, 50)), p95: r(percentile(ms, 95)), p99: r(percentile(ms, 99)), max: r(ms[ms.length - 1] ?? NaN) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const botToken = `7000000099:AAH-bench-${randomUUID().slice(0, 8)}`;
  const shop = createShopSandbox({ botToken });
  const shopUrl = await shop.start();
  const catalog = readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'catalog.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CatalogItem);
  const queries = generateQueries(catalog, 2000, 11);
  const itemIds = catalog.map((c) => c.id);
  // Parts the masters order: plenty of stock, so every order is about the pipeline, not the warehouse.
  const pool = catalog.slice(0, 60).map((c) => c.id);
  for (const id of pool) shop.setStock(id, 'central', 1_000_000);

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-bench-mixed-'));
  const flowsDir = await apiFlowsDir(dataDir);
  const child = await startChild({
    DATA_DIR: dataDir,
    FLOWS_DIR: flowsDir,
    EMBEDDED_PG_PORT: String(await freePort()),
    SHOP_API_URL: `${shopUrl}/rest/v1`,
    TELEGRAM_BOT_TOKEN: botToken,
    DEMO_SANDBOXES: '0',
  });
  const idleRss = child.rssMb();
  try {
    // Masters: logins are limited to 10 a minute per address, so they come from several loopback addresses.
    const masters: Master[] = [];
    for (let i = 0; i < args.users; i++) {
      const telegramId = 880_000_000 + i;
      const data = signTelegramLogin({ id: telegramId, first_name: `Мастер ${i}`, auth_date: Math.floor(Date.now() / 1000) }, botToken);
      const res = await postJson(`${child.baseUrl}/api/v1/auth/telegram`, data, `127.0.0.${10 + Math.floor(i / 8)}`);
      if (res.status !== 200) throw new Error(`login ${i}: ${res.status} ${JSON.stringify(res.body)}`);
      masters.push({ telegramId, shopUserId: shop.userByTelegramId(telegramId)!.id, auth: `Bearer ${(res.body as { access_token: string }).access_token}`, orders: 0 });
    }
    // The catalog is synced and indexed before the clock starts.
    for (let i = 0; ; i++) {
      const res = await fetch(`${child.baseUrl}/api/v1/catalog/search?q=${encodeURIComponent('дисплей')}`, { headers: { authorization: masters[0].auth } });
      if (res.ok && ((await res.json()) as { items: unknown[] }).items.length > 0) break;
      if (i > 600) throw new Error('the catalog was not indexed within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }

    let seq = 0;
    let orderSeq = 0;
    const sentKeys = new Set<string>();
    const next = (): { kind: Kind; request: autocannon.Request; key?: string } => {
      const k = seq++;
      const slot = k % 20;
      if (slot === 0) {
        const m = masters[orderSeq++ % masters.length];
        const productId = pool[(m.orders++ * 7 + m.telegramId) % pool.length];
        shop.state.carts.add(m.shopUserId, productId, 1);
        const key = randomUUID();
        sentKeys.add(key);
        return {
          kind: 'order',
          key,
          request: { method: 'POST', path: '/api/v1/orders', headers: { authorization: m.auth, 'content-type': 'application/json', 'idempotency-key': key }, body: COD },
        };
      }
      const m = masters[k % masters.length];
      if (slot <= 3) {
        return { kind: 'item', request: { method: 'GET', path: `/api/v1/catalog/items/${itemIds[(k * 7919) % itemIds.length]}`, headers: { authorization: m.auth } } };
      }
      return { kind: 'search', request: { method: 'GET', path: `/api/v1/catalog/search?q=${encodeURIComponent(queries[k % queries.length])}`, headers: { authorization: m.auth } } };
    };

    // Warm-up: JIT, pools, the index worker, journal partitions.
    const warm = await drive(child.baseUrl, args, Math.min(args.rate, 250), args.warmup, next);
    console.error(`warm-up: ${warm.samples.length} requests, p95 ${stats(warm.samples).p95} ms`);

    let peakRss = child.rssMb();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, child.rssMb())), 500);
    const cpu0 = cpuSeconds(child.process.pid!);
    const benchCpu0 = process.cpuUsage();
    const run = await drive(child.baseUrl, args, args.rate, args.seconds, next);
    const cpu1 = cpuSeconds(child.process.pid!);
    const benchCpu = process.cpuUsage(benchCpu0);
    clearInterval(sampler);
    // Requests cut off by the end of the run may still create orders: let them finish before counting.
    await new Promise((r) => setTimeout(r, 1500));

    const bad = run.samples.filter((s) => s.status !== EXPECTED[s.kind]);
    const byStatus: Record<string, number> = {};
    for (const s of bad) byStatus[`${s.kind} ${s.status}`] = (byStatus[`${s.kind} ${s.status}`] ?? 0) + 1;
    // Exactly once: every order POST sent (warm-up included) is at most one order in the shop, every 201 is one.
    const answers = [...warm.orderAnswers, ...run.orderAnswers];
    const perKey = new Map<string, number>();
    for (const o of shop.orders) {
      const key = o.externalId?.slice(o.externalId.lastIndexOf(':') + 1);
      if (key && sentKeys.has(key)) perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    const duplicateOrders = [...perKey.values()].reduce((a, n) => a + Math.max(0, n - 1), 0);
    const created = answers.filter((a) => a.status === 201);
    const distinctIds = new Set(created.map((a) => a.orderId)).size;
    const createdWithoutOrder = created.filter((a) => !perKey.has(a.key)).length;
    const suspected = shop.suspectedDuplicateOrders().length;
    const report = {
      when: new Date().toISOString(),
      args,
      machine: { cpus: os.cpus().length, load: os.loadavg().map((x) => +x.toFixed(2)) },
      offered_rps: args.rate,
      achieved_rps: Math.round(run.samples.length / args.seconds),
      wall_seconds: +run.wallSeconds.toFixed(1),
      requests: run.samples.length,
      latency_ms: {
        all: stats(run.samples),
        ...Object.fromEntries(KINDS.map((k) => [k, stats(run.samples.filter((s) => s.kind === k))])),
      },
      errors: { non_expected_status: bad.length, by_status: byStatus, connection_errors: run.errors, timeouts: run.timeouts },
      orders: {
        posted: sentKeys.size,
        answered_201: created.length,
        answered_202_queued: answers.filter((a) => a.status === 202).length,
        answered_other: answers.filter((a) => a.status !== 201 && a.status !== 202).length,
        not_answered_cut_at_end_of_run: sentKeys.size - answers.length,
        in_shop_for_posted_keys: [...perKey.values()].reduce((a, n) => a + n, 0),
        distinct_order_ids_in_201: distinctIds,
        answered_201_without_shop_order: createdWithoutOrder,
        duplicate_orders_by_external_id: duplicateOrders,
        suspected_duplicates_same_lines_60s: suspected,
        shop_external_id_replays: shop.counters.orderReplays,
      },
      rss_mb: { idle: Math.round(idleRss), peak: Math.round(peakRss) },
      // Share of one core over the run: the middleware process (event loop + search worker + pg client), its PostgreSQL, and this process (load generator + shop sandbox).
      cpu_percent_of_one_core: {
        middleware: Math.round(((cpu1.self - cpu0.self) / run.wallSeconds) * 100),
        middleware_event_loop_thread: Math.round(((cpu1.main - cpu0.main) / run.wallSeconds) * 100),
        postgres: Math.round(((cpu1.children - cpu0.children) / run.wallSeconds) * 100),
        bench_and_shop_sandbox: Math.round(((benchCpu.user + benchCpu.system) / 1e6 / run.wallSeconds) * 100),
      },
    };
    console.log(JSON.stringify(report, null, 2));
    await mkdir(path.join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(path.join(PROJECT_ROOT, 'bench', 'results', `api-mixed-${Date.now()}.json`), JSON.stringify(report, null, 2));
    const ok = bad.length === 0 && run.errors + run.timeouts === 0 && duplicateOrders === 0 && suspected === 0 && distinctIds === created.length && createdWithoutOrder === 0;
    if (!ok) process.exitCode = 2;
  } finally {
    await child.kill('SIGTERM');
    await shop.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
