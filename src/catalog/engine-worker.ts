/**
 * Worker thread that holds one search engine over the catalog cache: it loads the rows from
 * PostgreSQL and builds the index itself, so a rebuild (seconds at 100k items) never blocks the
 * main event loop, and searches run beside it. Started by WorkerBackend (engine-backend.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKnex, type Knex } from '../db/database';
import { readDevices } from './devices';
import { EngineCore } from './engine-core';
import type { EngineReply, EngineRequest, EngineWorkerData } from './engine-protocol';
import { loadCatalogRows } from './store';
import { performance } from 'node:perf_hooks';

const data = workerData as EngineWorkerData;
const port = parentPort;
if (!port) throw new Error('engine-worker must run in a worker thread');

let db: Knex | undefined;
let core: EngineCore | undefined;

function requireCore(): EngineCore {
  if (!core) throw new Error('the search index is not built yet');
  return core;
}

async function handle(msg: EngineRequest): Promise<unknown> {
  switch (msg.op) {
    case 'build': {
      db ??= createKnex(data.databaseUrl, 2);
      const t0 = performance.now();
      const rows = await loadCatalogRows(db);
      const t1 = performance.now();
      core = EngineCore.build(rows, readDevices(data.devicesFile));
      const watermark = rows.reduce<string | null>((max, r) => (max === null || r.synced_at > max ? r.synced_at : max), null);
      // Rows are only needed by the index from now on; the build's garbage goes with this scope.
      return { items: core.size, indexed: core.indexedCount, loadMs: Math.round(t1 - t0), buildMs: Math.round(performance.now() - t1), watermark };
    }
    case 'patch':
      return requireCore().patch(msg.rows, msg.removedIds);
    case 'search':
      return requireCore().search(msg.query, msg.options);
    case 'item':
      return requireCore().item(msg.itemId);
    case 'compat':
      return requireCore().compat(msg.request);
    case 'close':
      core = undefined;
      await db?.destroy();
      db = undefined;
      return null;
  }
}

port.on('message', (msg: EngineRequest) => {
  handle(msg).then(
    (value) => port.postMessage({ id: msg.id, ok: true, value } satisfies EngineReply),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ id: msg.id, ok: false, error: { name: e.name, message: e.message } } satisfies EngineReply);
    },
  );
});
