import type { Knex } from 'knex';
import { acquireJournalWriter, type JournalWriterLease } from '../journal/writer';
import type { Logger } from '../log';
import type { MwMetrics } from '../metrics/registry';
import { ShopClient } from '../shop/client';
import { shopConfigFromEnv, type ShopConfig } from '../shop/config';
import { CatalogSearchService } from './search-service';
import { CatalogSyncer } from './sync';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The shop client, the catalog syncer and the search service of one process, wired together:
 * the syncer reads the shop through the client (journaled, behind its breaker), the search
 * service follows the syncer's commits and reports degraded answers when the shop is away.
 */
export interface CatalogRuntime {
  readonly config: ShopConfig;
  /** Undefined when SHOP_API_URL is not set: search then serves whatever the cache holds. */
  readonly client: ShopClient | undefined;
  readonly syncer: CatalogSyncer | undefined;
  readonly search: CatalogSearchService;
  /** Builds the first index, then syncs every `config.syncIntervalMs` (when a shop is configured). */
  start(): Promise<void>;
  /** Stops syncing and searching, flushes the journal. */
  stop(): Promise<void>;
}

export interface CatalogRuntimeOptions {
  readonly db: Knex;
  readonly log?: Logger;
  readonly metrics?: MwMetrics;
  /** Default process.env (SHOP_API_URL, SHOP_API_KEY, CATALOG_SYNC_INTERVAL_MS…). */
  readonly env?: Env;
  /** Overrides of the parsed environment (tests, the demo pointing at the sandbox). */
  readonly config?: Partial<ShopConfig>;
  /** Journal every shop call through the shared journal writer (default on). */
  readonly journal?: boolean;
}

export function createCatalogRuntime(options: CatalogRuntimeOptions): CatalogRuntime {
  const config: ShopConfig = { ...shopConfigFromEnv(options.env ?? process.env), ...options.config };
  const { db, log, metrics } = options;
  let journal: JournalWriterLease | undefined;
  if (options.journal !== false) {
    journal = acquireJournalWriter(db, { onError: (error) => log?.warn({ err: (error as Error).message }, 'journal write failed (shop calls)') });
  }
  const client = config.apiUrl
    ? new ShopClient({
        baseUrl: config.apiUrl,
        serviceKey: config.serviceKey,
        timeoutMs: config.timeoutMs,
        breaker: { failureThreshold: config.breakerThreshold, cooldownMs: config.breakerCooldownMs, maxCooldownMs: config.breakerCooldownMs * 8 },
        journal: journal?.writer ?? null,
        log: log?.child({ component: 'shop-client' }),
        metrics,
      })
    : undefined;
  const syncer = client
    ? new CatalogSyncer({
        db,
        source: client,
        fullResyncIntervalMs: config.fullResyncHours * 3600_000,
        timeoutMs: config.timeoutMs,
        metrics,
        log: log?.child({ component: 'catalog-sync' }),
      })
    : undefined;
  const search = new CatalogSearchService({
    db,
    worker: config.searchWorker,
    syncer,
    shop: client,
    metrics,
    staleAfterMs: config.staleAfterMs,
    log: log?.child({ component: 'catalog-search' }),
  });
  if (!client) log?.warn({}, 'SHOP_API_URL is not set: the catalog is not synced, search answers from the cache as it is');

  let stopped = false;
  return {
    config,
    client,
    syncer,
    search,
    async start() {
      stopped = false;
      await search.start().catch((error: unknown) => log?.error({ err: (error as Error).message }, 'catalog search did not start; retrying in the background'));
      if (syncer && config.syncIntervalMs > 0 && !stopped) syncer.start(config.syncIntervalMs);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await syncer?.close();
      await search.stop();
      await journal?.release();
      journal = undefined;
    },
  };
}

// ── process-wide registry (nodes are bundled separately: share through globalThis) ─────

interface Entry {
  runtime: CatalogRuntime;
  /** Nodes holding it; undefined for a runtime registered by the application (not ours to stop). */
  users?: number;
  started: Promise<void>;
}

const REGISTRY = Symbol.for('spareparts-mw.catalog.runtimes');

function registry(): WeakMap<Knex, Entry> {
  const g = globalThis as unknown as Record<symbol, WeakMap<Knex, Entry> | undefined>;
  return (g[REGISTRY] ??= new WeakMap());
}

/**
 * Makes the application's runtime the one nodes use for this database (call after start()).
 * Returns the unregister function.
 */
export function registerCatalogRuntime(db: Knex, runtime: CatalogRuntime): () => void {
  const entry: Entry = { runtime, started: Promise.resolve() };
  registry().set(db, entry);
  return () => {
    if (registry().get(db) === entry) registry().delete(db);
  };
}

export interface CatalogRuntimeLease {
  readonly runtime: CatalogRuntime;
  /** Resolves once the runtime is started (the first index is built). */
  readonly ready: Promise<void>;
  /** The last node releasing a runtime it created stops it. */
  release(): Promise<void>;
}

/**
 * The runtime for the nodes of a flow: the application's (registerCatalogRuntime) or, when the
 * application did not wire one, one made from the environment and shared by every node of the
 * process until the last one closes.
 */
export function acquireCatalogRuntime(services: { db: Knex; log?: Logger; metrics?: MwMetrics }): CatalogRuntimeLease {
  const map = registry();
  let entry = map.get(services.db);
  if (!entry) {
    const runtime = createCatalogRuntime({ db: services.db, log: services.log, metrics: services.metrics });
    entry = { runtime, users: 0, started: runtime.start() };
    map.set(services.db, entry);
  }
  const shared = entry;
  if (shared.users !== undefined) shared.users++;
  let released = false;
  return {
    runtime: shared.runtime,
    ready: shared.started,
    release: async () => {
      if (released || shared.users === undefined) return;
      released = true;
      shared.users--;
      if (shared.users > 0) return;
      if (map.get(services.db) === shared) map.delete(services.db);
      await shared.runtime.stop();
    },
  };
}
