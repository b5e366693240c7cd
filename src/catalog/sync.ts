import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import type { Logger } from '../log';
import type { BreakerState } from '../outbound/circuit-breaker';
import { SHOP_PAGE_SIZE, type ShopCallContext } from '../shop/client';
import { isShopError, isShopUnavailable } from '../shop/errors';
import type { ProductListParams, ShopPage, ShopProduct } from '../shop/types';
import { rowFromProduct, type CatalogInsertRow } from './rows';
import {
  countCatalogRows,
  ensureSyncState,
  pruneUnseen,
  readSyncState,
  SHOP_CATALOG_STREAM,
  startFullWalk,
  updateSyncState,
  upsertCatalogRows,
  type SyncState,
} from './store';

const EPOCH = '1970-01-01T00:00:00.000Z';

/** What the syncer needs of the shop client (ShopClient fits). */
export interface CatalogSource {
  listProducts(params: ProductListParams, ctx?: ShopCallContext): Promise<ShopPage<ShopProduct>>;
  readonly breakerState?: BreakerState;
  onBreakerChange?(listener: (state: BreakerState, previous: BreakerState) => void): () => void;
}

export interface CatalogSyncerOptions {
  readonly db: Knex;
  readonly source: CatalogSource;
  readonly stream?: string;
  /** Rows per transaction (pages are accumulated up to this); the cursor is stored with each. */
  readonly batchSize?: number;
  /** A full re-walk this often, to drop products the shop no longer lists; 0 = never. Default 24 h. */
  readonly fullResyncIntervalMs?: number;
  /** Pages of a re-walk per pass (the incremental sync runs first in every pass). */
  readonly rewalkPagesPerPass?: number;
  /** Per shop call. */
  readonly timeoutMs?: number;
  readonly metrics?: { setDegraded(component: string, degraded: boolean): void; setDeltaLag(stream: string, seconds: number): void };
  /** Label of degraded_mode{component=…}; default `shop`. */
  readonly degradedComponent?: string;
  /** Label of delta_lag_seconds{stream=…}; default `shop_catalog`. */
  readonly lagStream?: string;
  readonly log?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  readonly now?: () => number;
}

export type SyncPhase = 'initial' | 'incremental' | 'rewalk';

/** Committed changes of the cache, for the search index. */
export interface CatalogChange {
  readonly phase: SyncPhase | 'prune';
  readonly ids: number[];
  readonly removedIds: number[];
}

export interface SyncReport {
  readonly ok: boolean;
  /** initial = the first import (resumable); incremental = changes since the cursor. */
  readonly mode: 'initial' | 'incremental';
  readonly pages: number;
  readonly upserted: number;
  readonly removed: number;
  readonly cursor: string | null;
  readonly lagSeconds: number | null;
  readonly durationMs: number;
  /** A full walk (the initial import or a re-walk) finished in this pass. */
  readonly fullWalkCompleted: boolean;
  /** Another instance moved the cursor while we fetched: our pages were dropped, nothing lost. */
  readonly yielded?: boolean;
  readonly aborted?: boolean;
  readonly error?: string;
}

export interface SyncerStatus {
  readonly running: boolean;
  readonly degraded: boolean;
  readonly lastSuccessAt: Date | null;
  readonly lastAttemptAt: Date | null;
  readonly lastError: string | null;
  readonly lagSeconds: number | null;
  readonly cursor: string | null;
}

class CursorMoved extends Error {
  override readonly name = 'CursorMoved';
}

interface WalkResult {
  pages: number;
  upserted: number;
  completed: boolean;
  cursor: string | null;
  maxLagMs: number;
}

/**
 * Keeps `catalog_items` in step with the shop.
 *
 * - First import: a keyset walk of the whole catalog (`filter[>updatedAt]`, `start=-1`), committed
 *   in batches with its position, so an interrupted import resumes where it stopped.
 * - Then incremental passes: products changed after the cursor, every `intervalMs`.
 * - Now and then a full re-walk (in slices, after each pass's incremental part) so products the
 *   shop no longer lists leave the cache.
 * - Several instances may run it: each batch is committed only if the cursor is still where the
 *   batch started (the state row is locked), else the instance yields to the one ahead.
 * - When the shop is unreachable the cache keeps serving; the syncer reports degraded
 *   (`degraded_mode{component="shop"}`), the staleness as lag, and keeps `last_success_at` for
 *   "цены и наличие на HH:MM".
 *
 * Events: `changed` (CatalogChange) after each commit, `synced` (SyncReport) after each pass,
 * `degraded` (boolean) on transitions.
 */
export class CatalogSyncer extends EventEmitter {
  readonly stream: string;
  private readonly db: Knex;
  private readonly source: CatalogSource;
  private readonly batchSize: number;
  private readonly fullResyncIntervalMs: number;
  private readonly rewalkPagesPerPass: number;
  private readonly now: () => number;
  private readonly unsubscribe: (() => void) | undefined;
  private running: Promise<SyncReport> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loop = false;
  private abort = new AbortController();
  private syncFailing = false;
  private degradedNow: boolean | undefined;
  private last: { successAt: Date | null; attemptAt: Date | null; error: string | null; lag: number | null; cursor: string | null } = {
    successAt: null,
    attemptAt: null,
    error: null,
    lag: null,
    cursor: null,
  };

  constructor(private readonly options: CatalogSyncerOptions) {
    super();
    this.db = options.db;
    this.source = options.source;
    this.stream = options.stream ?? SHOP_CATALOG_STREAM;
    this.batchSize = Math.max(SHOP_PAGE_SIZE, options.batchSize ?? 500);
    this.fullResyncIntervalMs = options.fullResyncIntervalMs ?? 24 * 3600_000;
    this.rewalkPagesPerPass = Math.max(1, options.rewalkPagesPerPass ?? 100);
    this.now = options.now ?? Date.now;
    this.unsubscribe = this.source.onBreakerChange?.(() => this.refreshDegraded());
    this.refreshDegraded();
  }

  /** Shop unreachable for the catalog: the last pass failed, or the shop client's breaker is open. */
  get degraded(): boolean {
    return this.syncFailing || this.source.breakerState === 'open';
  }

  get lastSuccessAt(): Date | null {
    return this.last.successAt;
  }

  status(): SyncerStatus {
    return {
      running: this.running !== undefined,
      degraded: this.degraded,
      lastSuccessAt: this.last.successAt,
      lastAttemptAt: this.last.attemptAt,
      lastError: this.last.error,
      lagSeconds: this.last.lag,
      cursor: this.last.cursor,
    };
  }

  /** Syncs now and then every `intervalMs` (one pass at a time; a slow pass delays the next). */
  start(intervalMs = 5000): void {
    if (this.loop) return;
    this.loop = true;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    const tick = async (): Promise<void> => {
      this.timer = undefined;
      await this.syncNow().catch(() => undefined);
      if (!this.loop) return;
      this.timer = setTimeout(() => void tick(), Math.max(50, intervalMs));
      this.timer.unref();
    };
    void tick();
  }

  /** Stops the timer, cancels the shop call in flight and waits for the pass to end. */
  async stop(): Promise<void> {
    this.loop = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running?.catch(() => undefined);
    this.abort = new AbortController();
  }

  /** Stops and detaches from the client's breaker events. */
  async close(): Promise<void> {
    await this.stop();
    this.unsubscribe?.();
  }

  /**
   * One pass now; joins the pass already running. `full: true` also walks the whole catalog
   * (after the running pass, if any) and prunes what the shop no longer lists.
   */
  async syncNow(options: { full?: boolean } = {}): Promise<SyncReport> {
    if (this.running) {
      const report = await this.running;
      if (!options.full) return report;
      return this.syncNow(options);
    }
    const pass = this.pass(options.full === true).finally(() => {
      this.running = undefined;
    });
    this.running = pass;
    return pass;
  }

  private refreshDegraded(): void {
    const degraded = this.degraded;
    if (degraded === this.degradedNow) return;
    this.degradedNow = degraded;
    this.options.metrics?.setDegraded(this.options.degradedComponent ?? 'shop', degraded);
    this.emit('degraded', degraded);
  }

  private setLag(seconds: number): void {
    this.last.lag = seconds;
    this.options.metrics?.setDeltaLag(this.options.lagStream ?? 'shop_catalog', seconds);
  }

  private async pass(forceFull: boolean): Promise<SyncReport> {
    const started = this.now();
    const signal = this.abort.signal;
    const ctx: ShopCallContext = { correlationId: `catalog-sync:${randomUUID()}`, journalBody: 'hash', signal, timeoutMs: this.options.timeoutMs };
    let mode: SyncReport['mode'] = 'incremental';
    let pages = 0;
    let upserted = 0;
    let removed = 0;
    let fullWalkCompleted = false;
    let lagSeconds: number | null = null;
    let state: SyncState | undefined;
    try {
      state = await ensureSyncState(this.db, this.stream);
      this.last.successAt ??= state.lastSuccessAt;
      this.last.cursor = state.cursor;
      const attemptAt = new Date(this.now());
      this.last.attemptAt = attemptAt;
      await updateSyncState(this.db, this.stream, { lastAttemptAt: attemptAt });

      if (state.cursor === null) {
        mode = 'initial';
        const startedAt = await startFullWalk(this.db, this.stream);
        const walk = await this.walk('initial', (await readSyncState(this.db, this.stream))?.fullCursor ?? null, Infinity, ctx);
        pages += walk.pages;
        upserted += walk.upserted;
        removed += await this.finishFullWalk(startedAt, walk.cursor ?? state.fullCursor ?? EPOCH, true);
        fullWalkCompleted = true;
        lagSeconds = 0;
      } else {
        const walk = await this.walk('incremental', state.cursor, Infinity, ctx);
        pages += walk.pages;
        upserted += walk.upserted;
        lagSeconds = Math.max(0, walk.maxLagMs) / 1000;
        const due =
          forceFull ||
          state.fullStartedAt !== null ||
          (this.fullResyncIntervalMs > 0 && (state.lastFullSyncAt === null || started - state.lastFullSyncAt.getTime() >= this.fullResyncIntervalMs));
        if (due) {
          const startedAt = await startFullWalk(this.db, this.stream);
          const fresh = await readSyncState(this.db, this.stream);
          const rewalk = await this.walk('rewalk', fresh?.fullCursor ?? null, forceFull ? Infinity : this.rewalkPagesPerPass, ctx);
          pages += rewalk.pages;
          upserted += rewalk.upserted;
          if (rewalk.completed) {
            removed += await this.finishFullWalk(startedAt, null, false);
            fullWalkCompleted = true;
          }
        }
      }

      const successAt = new Date(this.now());
      const itemsCount = upserted || removed || state.itemsCount === null ? await countCatalogRows(this.db) : undefined;
      await updateSyncState(this.db, this.stream, { lastSuccessAt: successAt, lastError: null, consecutiveFailures: 0, lagSeconds, itemsCount });
      const cursor = (await readSyncState(this.db, this.stream))?.cursor ?? null;
      this.last = { ...this.last, successAt, error: null, cursor };
      this.setLag(lagSeconds ?? 0);
      this.syncFailing = false;
      this.refreshDegraded();
      const report: SyncReport = { ok: true, mode, pages, upserted, removed, cursor, lagSeconds, durationMs: this.now() - started, fullWalkCompleted };
      if (upserted || removed) this.options.log?.info({ stream: this.stream, ...report }, 'catalog synced');
      this.emit('synced', report);
      return report;
    } catch (error) {
      const base = { mode, pages, upserted, removed, cursor: this.last.cursor, durationMs: this.now() - started, fullWalkCompleted };
      if (error instanceof CursorMoved) {
        const report: SyncReport = { ...base, ok: true, lagSeconds, yielded: true };
        this.emit('synced', report);
        return report;
      }
      if (signal.aborted) {
        const report: SyncReport = { ...base, ok: false, lagSeconds, aborted: true, error: 'stopped' };
        this.emit('synced', report);
        return report;
      }
      const message = (error as Error).message ?? String(error);
      const failedAt = new Date(this.now());
      const staleSince = this.last.successAt ?? state?.lastSuccessAt ?? null;
      const lag = staleSince ? Math.max(0, (failedAt.getTime() - staleSince.getTime()) / 1000) : null;
      try {
        await updateSyncState(this.db, this.stream, {
          lastError: message.slice(0, 1000),
          lastErrorAt: failedAt,
          consecutiveFailures: (state?.consecutiveFailures ?? 0) + 1,
          lagSeconds: lag,
        });
      } catch {
        // the database is what failed; the report says so
      }
      this.last.error = message;
      if (lag !== null) this.setLag(lag);
      this.syncFailing = true;
      this.refreshDegraded();
      this.options.log?.warn(
        { stream: this.stream, err: message, kind: isShopUnavailable(error) ? 'shop_unavailable' : isShopError(error) ? 'shop_refused' : 'internal' },
        'catalog sync failed; serving the cache',
      );
      const report: SyncReport = { ...base, ok: false, lagSeconds: lag, error: message };
      this.emit('synced', report);
      return report;
    }
  }

  /**
   * Walks products changed after `from` by keyset, committing every `batchSize` rows together
   * with the position (`cursor` for incremental, `full_cursor` for full walks).
   */
  private async walk(phase: SyncPhase, from: string | null, maxPages: number, ctx: ShopCallContext): Promise<WalkResult> {
    const result: WalkResult = { pages: 0, upserted: 0, completed: false, cursor: from, maxLagMs: 0 };
    let cursor = from ?? EPOCH;
    let batchStart = from;
    let batch: CatalogInsertRow[] = [];
    for (;;) {
      const page = await this.source.listProducts({ since: cursor }, ctx);
      result.pages++;
      const rows = page.items.map(rowFromProduct);
      batch.push(...rows);
      if (rows.length) cursor = rows[rows.length - 1]!.updated_at_source;
      const last = page.items.length < SHOP_PAGE_SIZE;
      if (batch.length >= this.batchSize || last || result.pages >= maxPages) {
        const committedAt = await this.commit(phase, batch, batchStart, batch.length ? cursor : batchStart);
        if (phase === 'incremental') {
          for (const r of batch) result.maxLagMs = Math.max(result.maxLagMs, committedAt - Date.parse(r.updated_at_source));
        }
        result.upserted += batch.length;
        if (batch.length) batchStart = cursor;
        batch = [];
      }
      result.cursor = batchStart;
      if (last) {
        result.completed = true;
        return result;
      }
      if (result.pages >= maxPages) return result;
    }
  }

  /** One batch in one transaction, if the position is still ours; returns the commit time. */
  private async commit(phase: SyncPhase, rows: CatalogInsertRow[], expected: string | null, next: string | null): Promise<number> {
    const column = phase === 'incremental' ? 'cursor' : 'fullCursor';
    if (rows.length === 0) return this.now();
    await this.db.transaction(async (trx) => {
      const state = await readSyncState(trx, this.stream, true);
      if (!state) throw new Error(`catalog sync state ${this.stream} vanished`);
      if ((state[column] ?? null) !== (expected ?? null)) throw new CursorMoved(`${column} moved from ${expected} to ${state[column]}`);
      if (phase !== 'incremental' && state.fullStartedAt === null) throw new CursorMoved('the full walk was finished by another instance');
      await upsertCatalogRows(trx, rows);
      await updateSyncState(trx, this.stream, column === 'cursor' ? { cursor: next, bumpRevision: true } : { fullCursor: next, bumpRevision: true });
    });
    if (phase === 'incremental') this.last.cursor = next;
    const change: CatalogChange = { phase, ids: rows.map((r) => r.id), removedIds: [] };
    this.emit('changed', change);
    return this.now();
  }

  /** Ends a full walk: drops what it did not see; the first import also sets the incremental cursor. */
  private async finishFullWalk(startedAt: Date, cursor: string | null, initial: boolean): Promise<number> {
    let removedIds: number[] = [];
    await this.db.transaction(async (trx) => {
      const state = await readSyncState(trx, this.stream, true);
      if (!state || state.fullStartedAt === null || state.fullStartedAt.getTime() !== startedAt.getTime()) throw new CursorMoved('the full walk was finished by another instance');
      removedIds = await pruneUnseen(trx, startedAt);
      await updateSyncState(trx, this.stream, {
        ...(initial ? { cursor: cursor ?? state.fullCursor ?? EPOCH } : {}),
        fullCursor: null,
        fullStartedAt: null,
        lastFullSyncAt: new Date(this.now()),
        bumpRevision: removedIds.length > 0,
      });
    });
    if (removedIds.length) {
      this.options.log?.info({ stream: this.stream, removed: removedIds.length }, 'catalog: products the shop no longer lists were removed');
      this.emit('changed', { phase: 'prune', ids: [], removedIds } satisfies CatalogChange);
    }
    return removedIds.length;
  }
}
