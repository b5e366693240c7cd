/**
 * Crash check for the resilience contract: a load of idempotent POSTs (each with its own key and
 * a side effect: one row in the durable outbound queue) while the middleware is killed with
 * SIGKILL and restarted, twice. Clients retry with the same key and body until they get 2xx.
 * Afterwards every acknowledged key must have exactly one queued row, and no key more than one.
 *
 *   npm run bench:kill9 -- [--requests 600] [--concurrency 24]
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { PROJECT_ROOT } from '../src/config';
import { createKnex } from '../src/db/database';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { createLogger } from '../src/log';
import { freePort, prepareDataDir, startChild, type MiddlewareChild } from './support/child';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const total = arg('requests', 600);
  const concurrency = arg('concurrency', 24);
  const pgDir = await mkdtemp(path.join(os.tmpdir(), 'mw-kill9-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), database: 'kill9', log: createLogger('warn') });
  const { dataDir, flowsDir } = await prepareDataDir(path.join(PROJECT_ROOT, 'bench', 'flows'));
  const env = { DATA_DIR: dataDir, FLOWS_DIR: flowsDir, DATABASE_URL: pg.url };
  const port = await freePort();
  let child: MiddlewareChild | undefined = await startChild(env, port);
  const baseUrl = child.baseUrl;

  const acked = new Set<string>();
  let replayed = 0;
  let attempts = 0;
  let next = 0;
  let killerDone = false;
  const client = async (): Promise<void> => {
    // Keep the load going through both kills, and until at least `total` requests were sent.
    while (!killerDone || next < total) {
      const key = randomUUID();
      next++;
      const body = JSON.stringify({ source: 'ut10', object_type: 'Document_ЗаказПокупателя', object_guid: randomUUID(), version: '1', changed_at: new Date().toISOString(), data: { k: key } });
      const deadline = Date.now() + 60_000;
      for (;;) {
        attempts++;
        try {
          const res = await fetch(`${baseUrl}/bench/kill9`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-client': 'kill9', 'idempotency-key': key }, body, signal: AbortSignal.timeout(5000) });
          await res.arrayBuffer();
          if (res.status >= 200 && res.status < 300) {
            acked.add(key);
            if (res.headers.get('idempotent-replayed') === 'true') replayed++;
            break;
          }
          if (res.status === 422) throw new Error(`key ${key} reported as reused with another body`);
        } catch (error) {
          if ((error as Error).message.includes('reused')) throw error;
        }
        if (Date.now() > deadline) throw new Error(`request ${key} not acknowledged within 60 s`);
        await sleep(100 + Math.random() * 200);
      }
    }
  };

  const kills: number[] = [];
  const killer = (async () => {
    for (let k = 0; k < 2; k++) {
      await sleep(1500);
      const before = acked.size;
      await child!.kill('SIGKILL');
      kills.push(before);
      child = undefined;
      child = await startChild(env, port);
    }
    await sleep(1000);
    killerDone = true;
  })();

  const started = Date.now();
  await Promise.all([...Array.from({ length: concurrency }, client), killer]);
  const seconds = (Date.now() - started) / 1000;

  const db = createKnex(pg.url, 2);
  const rows = await db.raw<{ rows: { k: string; n: number }[] }>(
    `select payload->'data'->>'k' as k, count(*)::int as n from outbound_deliveries where destination = 'ut11' group by 1`,
  );
  const counts = new Map(rows.rows.map((r) => [r.k, r.n]));
  const duplicates = rows.rows.filter((r) => r.n > 1).length;
  const lost = [...acked].filter((k) => !counts.get(k)).length;
  const report = {
    requests: next,
    acknowledged: acked.size,
    http_attempts: attempts,
    replayed_after_retry: replayed,
    kills: kills.length,
    acknowledged_before_each_kill: kills,
    queued_rows: rows.rows.reduce((n, r) => n + r.n, 0),
    executed_twice: duplicates,
    acknowledged_but_lost: lost,
    seconds: +seconds.toFixed(1),
    verdict: duplicates === 0 && lost === 0 && acked.size === next && kills.every((n) => n < next) ? 'PASS' : 'FAIL',
  };
  console.log(JSON.stringify(report, null, 2));
  await db.destroy();
  await child?.kill('SIGTERM');
  await pg.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(pgDir, { recursive: true, force: true });
  process.exit(report.verdict === 'PASS' ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
