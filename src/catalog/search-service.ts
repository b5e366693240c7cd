import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import type { Logger } from '../log';
import type { BreakerState } from '../outbound/circuit-breaker';
import { asOfText as formatAsOfText, BUSINESS_TIME_ZONE } from './as-of';
import { connectionStringOf, InlineBackend, WorkerBackend, type EngineBackend } from './engine-backend';
import type { BuildInfo, CompatRequest, CompatResult, EngineSearchResult, PatchInfo } from './engine-core';
import { defaultDevicesFile } from './paths';
import type { CatalogItemView } from './rows';
import { countCatalogRows, loadCatalogRows, readSyncState, SHOP_CATALOG_STREAM, type SyncState } from './store';
import type { CatalogChange, SyncReport } from './sync';

/** How fresh the cache is, for every answer. */
export interface CatalogFreshness {
  /** The last successful sync with the shop (ISO), i.e. prices and stock are as of then. */
  asOf: string | null;
  /** "цены и наличие на 14:05" (Moscow time); null before the first sync. */
  asOfText: string | null;
  /** The shop is unreachable or the cache is stale: answers come from the cache as of `asOf`. */
  degraded: boolean;
}

export interface CatalogSearchAnswer extends EngineSearchResult, CatalogFreshness {}

export interface CatalogItemAnswer extends CatalogFreshness {
  item: CatalogItemView | null;
}

export interface CatalogCompatAnswer extends CompatResult, CatalogFreshness {}

export interface CatalogStatus extends CatalogFreshness {
  /** Rows in the cache. */
  items: number | null;
  /** Rows in the live index (what search answers from). */
  indexed: number | null;
  revision: number | null;
  lagSeconds: number | null;
  lastError: string | null;
  engine: 'worker' | 'inline' | null;
  lastBuild: (BuildInfo & { at: string }) | null;
}

/** What the service listens to on a syncer of the same process (CatalogSyncer fits). */
export interface CatalogSyncEvents {
  on(event: 'changed', listener: (change: CatalogChange) => void): unknown;
  on(event: 'synced', listener: (report: SyncReport) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own signature
  off(event: 'changed' | 'synced', listener: (...args: any[]) => void): unknown;
  readonly degraded: boolean;
}

export interface CatalogSearchServiceOptions {
  readonly db: Knex;
  readonly stream?: string;
  /** Device dictionary; default data/devices.json (CATALOG_DEVICES_FILE); null = none. */
  readonly devicesFile?: string | null;
  /** Engine in a worker thread (default): rebuilds never block the event loop. */
  readonly worker?: boolean;
  /** For the worker's own connection; default: taken from `db`. */
  readonly databaseUrl?: string;
  /** The syncer of this process: its commits are applied at once, its degraded state is used. */
  readonly syncer?: CatalogSyncEvents;
  /** The shop client: an open breaker makes answers degraded at once. */
  readonly shop?: { readonly breakerState?: BreakerState };
  readonly metrics?: { recordSearch(noResult: boolean, channel?: string): void };
  /** Degraded when the last successful sync is older than this; default 5 min. */
  readonly staleAfterMs?: number;
  /** Checks catalog_sync_state.revision this often for commits of other instances; default 5 s, 0 = off. */
  readonly pollIntervalMs?: number;
  /** New items / changed names are indexed by a rebuild at most this soon after the change; default 1 s. */
  readonly rebuildDelayMs?: number;
  /** Calls wait this long for the first index; default 30 s. */
  readonly readyTimeoutMs?: number;
  readonly statusCacheMs?: number;
  readonly searchTimeoutMs?: number;
  readonly log?: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  readonly now?: () => number;
  readonly timeZone?: string;
}

export class CatalogNotReadyError extends Error {
  override readonly name = 'CatalogNotReadyError';
  readonly code = 'NOT_READY';
}

const MAX_QUERY_CHARS = 300;
/** A catch-up bigger than this rebuilds instead of patching row by row. */
const MAX_CATCH_UP_PATCH = 5000;
/** During the first import of the catalog, the index catches up this often. */
const INITIAL_IMPORT_REBUILD_MS = 5000;

/**
 * Catalog search over the PostgreSQL cache (SPEC §3.A): the search engine (src/search) built
 * from `catalog_items`, kept current as the syncer commits, answering with how fresh it is.
 *
 * - The index lives in a worker thread by default (`worker: false` keeps it inline). A rebuild
 *   builds a new generation while the current one keeps answering, then swaps.
 * - Price and stock changes are patched into the live index at once; new items and changed
 *   names/models schedule a rebuild (debounced); deactivated or removed items are hidden at once.
 * - Changes come from the syncer of this process (events) and, for other instances, from a poll
 *   of catalog_sync_state.revision.
 * - Every answer carries `asOf` (last successful sync), `asOfText` ("цены и наличие на HH:MM",
 *   Moscow time) and `degraded` (shop unreachable, breaker open, or the cache is stale).
 */
export class CatalogSearchService extends EventEmitter {
  readonly stream: string;
  private readonly db: Knex;
  private readonly devicesFile: string | undefined;
  private readonly now: () => number;
  private useWorker: boolean;
  private backend: EngineBackend | undefined;
  private building: Promise<void> | undefined;
  private rebuildAgain = false;
  private duringBuild: { ids: Set<number>; removed: Set<number> } | undefined;
  private rebuildTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private watermark: string | null = null;
  private knownRevision: number | null = null;
  private indexedSize: number | null = null;
  private lastBuild: (BuildInfo & { at: string }) | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private statusCache: { at: number; value: Promise<SyncState | null> } | undefined;
  private started = false;
  private stopped = false;
  /** Calls in flight per generation: a replaced generation is closed when its last call returns. */
  private readonly inFlight = new Map<EngineBackend, number>();
  private readonly retiring = new Set<EngineBackend>();
  private readonly onChanged = (change: CatalogChange): void => {
    if (change.phase === 'initial') {
      // The first import brings only new items: index what has arrived every few seconds and
      // everything once the import ends, instead of patching batch by batch.
      this.statusCache = undefined;
      if (this.duringBuild) for (const id of change.ids) this.duringBuild.ids.add(id);
      this.scheduleRebuild(INITIAL_IMPORT_REBUILD_MS);
      return;
    }
    this.noteChange(change.ids, change.removedIds);
  };
  private readonly onSynced = (report: SyncReport): void => {
    this.statusCache = undefined;
    if (report.mode === 'initial' && report.fullWalkCompleted && report.upserted > 0) this.rebuild().catch(() => undefined);
  };

  constructor(private readonly options: CatalogSearchServiceOptions) {
    super();
    this.db = options.db;
    this.stream = options.stream ?? SHOP_CATALOG_STREAM;
    this.devicesFile = options.devicesFile === null ? undefined : (options.devicesFile ?? defaultDevicesFile());
    this.now = options.now ?? Date.now;
    this.useWorker = options.worker !== false;
  }

  /** Builds the first index (resolves when it answers) and starts following changes. */
  async start(): Promise<void> {
    if (this.started) return this.backend ? undefined : this.whenReady().then(() => undefined);
    this.started = true;
    this.stopped = false;
    this.options.syncer?.on('changed', this.onChanged);
    this.options.syncer?.on('synced', this.onSynced);
    const poll = this.options.pollIntervalMs ?? 5000;
    if (poll > 0) {
      this.pollTimer = setInterval(() => void this.refresh().catch((error: unknown) => this.options.log?.warn({ err: (error as Error).message }, 'catalog search: catch-up failed')), poll);
      this.pollTimer.unref();
    }
    await this.rebuild();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    this.options.syncer?.off('changed', this.onChanged);
    this.options.syncer?.off('synced', this.onSynced);
    for (const t of [this.rebuildTimer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.rebuildTimer = this.retryTimer = this.pollTimer = undefined;
    await this.building?.catch(() => undefined);
    await this.chain.catch(() => undefined);
    const backend = this.backend;
    this.backend = undefined;
    await backend?.close();
    for (const old of this.retiring) await old.close();
    this.retiring.clear();
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new CatalogNotReadyError('the catalog search service was stopped'));
    }
  }

  get engineKind(): 'worker' | 'inline' | null {
    return this.backend?.kind ?? null;
  }

  // ── answers ─────────────────────────────────────────────────────────────────────────
  async search(query: string, options: { limit?: number; suggestionLimit?: number; channel?: string } = {}): Promise<CatalogSearchAnswer> {
    const q = String(query ?? '').slice(0, MAX_QUERY_CHARS);
    const [result, freshness] = await Promise.all([
      this.withBackend((b) => b.search(q, { limit: options.limit, suggestionLimit: options.suggestionLimit })),
      this.freshness(),
    ]);
    this.options.metrics?.recordSearch(result.nothingFound, options.channel);
    return { ...result, ...freshness };
  }

  async getItem(id: number): Promise<CatalogItemAnswer> {
    const [item, freshness] = await Promise.all([Number.isSafeInteger(id) ? this.withBackend((b) => b.item(id)) : Promise.resolve(null), this.freshness()]);
    return { item, ...freshness };
  }

  /** `{itemId}`: the models a part fits; `{model}`: the parts that fit a model, shared parts marked. */
  async compat(request: CompatRequest): Promise<CatalogCompatAnswer> {
    const [result, freshness] = await Promise.all([this.withBackend((b) => b.compat(request)), this.freshness()]);
    return { ...result, ...freshness };
  }

  async status(): Promise<CatalogStatus> {
    const state = await this.syncState();
    return {
      ...this.freshnessOf(state),
      items: state?.itemsCount ?? null,
      indexed: this.indexedSize,
      revision: state?.revision ?? null,
      lagSeconds: state?.lagSeconds ?? null,
      lastError: state?.lastError ?? null,
      engine: this.engineKind,
      lastBuild: this.lastBuild,
    };
  }

  async freshness(): Promise<CatalogFreshness> {
    return this.freshnessOf(await this.syncState());
  }

  // ── following the cache ─────────────────────────────────────────────────────────────
  /** Applies what other writers committed since the last look (the poll does this every few seconds). */
  refresh(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.backend || this.stopped) return;
      const state = await readSyncState(this.db, this.stream);
      if (!state || state.revision === this.knownRevision) return;
      const revision = state.revision;
      // Writers commit in synced_at order (the syncer holds the state row lock while it writes, and
      // stamps rows with clock_timestamp()), so rows at or after the watermark are all that is new.
      const changed = this.watermark
        ? ((await this.db('catalog_items').where('synced_at', '>=', this.watermark).pluck('id')) as (string | number)[]).map(Number)
        : ((await this.db('catalog_items').pluck('id')) as (string | number)[]).map(Number);
      if (changed.length > MAX_CATCH_UP_PATCH) {
        // Another instance imported or re-walked a large part of the catalog: a new generation is cheaper.
        this.knownRevision = revision;
        this.scheduleRebuild(0);
        return;
      }
      if (this.duringBuild) for (const id of changed) this.duringBuild.ids.add(id);
      await this.applyTo(this.backend, changed, []);
      // Rows deleted elsewhere (a prune) leave no trace to catch up with: a count mismatch rebuilds.
      if (this.indexedSize !== null && (await countCatalogRows(this.db)) !== this.indexedSize) this.scheduleRebuild();
      this.knownRevision = revision;
    });
  }

  /** Builds a new index generation from the cache and swaps it in; joins a rebuild in progress. */
  rebuild(): Promise<void> {
    if (this.building) {
      this.rebuildAgain = true;
      return this.building;
    }
    const run = this.runRebuilds().finally(() => {
      this.building = undefined;
    });
    this.building = run;
    return run;
  }

  private noteChange(ids: readonly number[], removedIds: readonly number[]): void {
    this.statusCache = undefined;
    if (this.duringBuild) {
      for (const id of ids) this.duringBuild.ids.add(id);
      for (const id of removedIds) this.duringBuild.removed.add(id);
    }
    void this.enqueue(async () => {
      if (this.backend) await this.applyTo(this.backend, [...ids], [...removedIds]);
    }).catch((error: unknown) => this.options.log?.warn({ err: (error as Error).message }, 'catalog search: could not apply a change'));
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async applyTo(backend: EngineBackend, ids: number[], removedIds: number[]): Promise<PatchInfo | undefined> {
    if (!ids.length && !removedIds.length) return undefined;
    const rows = await loadCatalogRows(this.db, { ids });
    const found = new Set(rows.map((r) => r.id));
    const gone = [...removedIds, ...ids.filter((id) => !found.has(id))];
    const info = await backend.patch(rows, gone);
    for (const r of rows) if (this.watermark === null || r.synced_at > this.watermark) this.watermark = r.synced_at;
    if (backend === this.backend) this.indexedSize = info.size;
    if (info.structural) this.scheduleRebuild();
    return info;
  }

  private scheduleRebuild(delayMs = this.options.rebuildDelayMs ?? 1000): void {
    if (this.stopped || this.rebuildTimer) return;
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = undefined;
      this.rebuild().catch(() => undefined);
    }, delayMs);
    this.rebuildTimer.unref();
  }

  private createBackend(): EngineBackend {
    if (this.useWorker) {
      const databaseUrl = this.options.databaseUrl ?? connectionStringOf(this.db);
      if (databaseUrl) {
        let backend: WorkerBackend | undefined;
        backend = new WorkerBackend({
          databaseUrl,
          devicesFile: this.devicesFile,
          requestTimeoutMs: this.options.searchTimeoutMs ?? 5000,
          onExit: (error) => {
            if (this.backend !== backend || this.stopped) return;
            this.options.log?.error({ err: error.message }, 'catalog search worker died; rebuilding');
            this.backend = undefined;
            this.rebuild().catch(() => undefined);
          },
        });
        return backend;
      }
      this.options.log?.warn({}, 'catalog search: no database URL for the worker; the index runs inline');
      this.useWorker = false;
    }
    return new InlineBackend(this.db, this.devicesFile);
  }

  private async runRebuilds(): Promise<void> {
    do {
      this.rebuildAgain = false;
      if (this.stopped) return;
      // This build reads everything committed so far: a scheduled one would only repeat it.
      if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
      this.rebuildTimer = undefined;
      this.duringBuild = { ids: new Set(), removed: new Set() };
      const revision = (await readSyncState(this.db, this.stream).catch(() => null))?.revision ?? 0;
      let next: EngineBackend | undefined;
      const triedWorker = this.useWorker;
      try {
        next = this.createBackend();
        const info = await next.build();
        // Changes committed while building: drain until none is left, then swap without awaiting.
        for (;;) {
          const during = this.duringBuild;
          if (!during.ids.size && !during.removed.size) break;
          this.duringBuild = { ids: new Set(), removed: new Set() };
          await this.applyTo(next, [...during.ids], [...during.removed]);
        }
        if (this.stopped) {
          await next.close();
          return;
        }
        const old = this.backend;
        this.backend = next;
        this.duringBuild = undefined;
        this.watermark = info.watermark && (!this.watermark || info.watermark > this.watermark) ? info.watermark : (this.watermark ?? info.watermark);
        this.knownRevision = revision;
        this.indexedSize = info.items;
        this.lastBuild = { ...info, at: new Date(this.now()).toISOString() };
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.resolve();
        }
        if (old) this.retire(old);
        this.options.log?.info({ engine: next.kind, ...info }, 'catalog search index built');
        this.emit('rebuilt', info);
      } catch (error) {
        this.duringBuild = undefined;
        await next?.close().catch(() => undefined);
        const remote = (error as { remote?: unknown }).remote === true;
        if (triedWorker && this.useWorker && !this.backend && !remote) {
          // The worker could not start or load (e.g. no tsx for threads): answer inline rather than not at all.
          this.options.log?.warn({ err: (error as Error).message }, 'catalog search worker failed; falling back to the inline index');
          this.useWorker = false;
          this.rebuildAgain = true;
          continue;
        }
        this.options.log?.error({ err: (error as Error).message }, 'catalog search index build failed');
        if (!this.stopped && !this.retryTimer) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.rebuild().catch(() => undefined);
          }, 5000);
          this.retryTimer.unref();
        }
        throw error;
      }
    } while (this.rebuildAgain && !this.stopped);
  }

  /** Runs a call on the current generation, keeping that generation open until the call returns. */
  private async withBackend<T>(call: (backend: EngineBackend) => Promise<T>): Promise<T> {
    const backend = await this.whenReady();
    this.inFlight.set(backend, (this.inFlight.get(backend) ?? 0) + 1);
    try {
      return await call(backend);
    } finally {
      const left = (this.inFlight.get(backend) ?? 1) - 1;
      if (left > 0) this.inFlight.set(backend, left);
      else {
        this.inFlight.delete(backend);
        if (this.retiring.delete(backend)) void backend.close();
      }
    }
  }

  /** Closes a replaced generation once the calls it is answering are done. */
  private retire(backend: EngineBackend): void {
    if ((this.inFlight.get(backend) ?? 0) > 0) this.retiring.add(backend);
    else void backend.close();
  }

  private whenReady(): Promise<EngineBackend> {
    if (this.backend) return Promise.resolve(this.backend);
    if (this.stopped || !this.started) return Promise.reject(new CatalogNotReadyError('the catalog search service is not started'));
    const timeout = this.options.readyTimeoutMs ?? 30_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new CatalogNotReadyError(`the catalog index is not ready after ${timeout} ms`));
      }, timeout);
      timer.unref();
      this.waiters.push({ resolve, reject, timer });
    }).then(() => {
      if (!this.backend) throw new CatalogNotReadyError('the catalog index is not ready');
      return this.backend;
    });
  }

  private syncState(): Promise<SyncState | null> {
    const ttl = this.options.statusCacheMs ?? 1000;
    const now = this.now();
    if (this.statusCache && now - this.statusCache.at < ttl) return this.statusCache.value;
    const value = readSyncState(this.db, this.stream).catch(() => null);
    this.statusCache = { at: now, value };
    return value;
  }

  private freshnessOf(state: SyncState | null): CatalogFreshness {
    const now = this.now();
    const asOf = state?.lastSuccessAt ?? null;
    const failing = !!state?.lastErrorAt && (!asOf || state.lastErrorAt.getTime() > asOf.getTime());
    const stale = !asOf || now - asOf.getTime() > (this.options.staleAfterMs ?? 5 * 60_000);
    const degraded = failing || stale || this.options.shop?.breakerState === 'open' || this.options.syncer?.degraded === true;
    return {
      asOf: asOf ? asOf.toISOString() : null,
      asOfText: formatAsOfText(asOf, new Date(now), this.options.timeZone ?? BUSINESS_TIME_ZONE),
      degraded,
    };
  }
}
