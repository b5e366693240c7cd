import type { Knex } from 'knex';
import { normalizeRow, type CatalogInsertRow, type CatalogRow } from './rows';

export const CATALOG_TABLE = 'catalog_items';
export const SYNC_STATE_TABLE = 'catalog_sync_state';
/** The stream of the shop catalog in catalog_sync_state. */
export const SHOP_CATALOG_STREAM = 'shop.catalog';

const COLUMNS = [
  'id', 'xml_id', 'code', 'article', 'name', 'section', 'part_type', 'brand', 'models', 'quality', 'color',
  'price', 'price_master', 'currency', 'stock', 'quantity', 'barcode', 'active', 'updated_at_source', 'synced_at',
] as const;
const UPDATABLE = COLUMNS.filter((c) => c !== 'id');

export interface SyncState {
  stream: string;
  cursor: string | null;
  fullStartedAt: Date | null;
  fullCursor: string | null;
  lastFullSyncAt: Date | null;
  lastSuccessAt: Date | null;
  lastAttemptAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
  lagSeconds: number | null;
  itemsCount: number | null;
  revision: number;
}

const date = (v: unknown): Date | null => (v instanceof Date ? v : typeof v === 'string' ? new Date(v) : null);

function stateFromRow(r: Record<string, unknown>): SyncState {
  return {
    stream: String(r.stream),
    cursor: (r.cursor as string | null) ?? null,
    fullStartedAt: date(r.full_started_at),
    fullCursor: (r.full_cursor as string | null) ?? null,
    lastFullSyncAt: date(r.last_full_sync_at),
    lastSuccessAt: date(r.last_success_at),
    lastAttemptAt: date(r.last_attempt_at),
    lastError: (r.last_error as string | null) ?? null,
    lastErrorAt: date(r.last_error_at),
    consecutiveFailures: Number(r.consecutive_failures ?? 0),
    lagSeconds: r.lag_seconds === null || r.lag_seconds === undefined ? null : Number(r.lag_seconds),
    itemsCount: r.items_count === null || r.items_count === undefined ? null : Number(r.items_count),
    revision: Number(r.revision ?? 0),
  };
}

export async function readSyncState(db: Knex | Knex.Transaction, stream = SHOP_CATALOG_STREAM, forUpdate = false): Promise<SyncState | null> {
  const q = db(SYNC_STATE_TABLE).where({ stream }).first();
  const row = (await (forUpdate ? q.forUpdate() : q)) as Record<string, unknown> | undefined;
  return row ? stateFromRow(row) : null;
}

export async function ensureSyncState(db: Knex, stream = SHOP_CATALOG_STREAM): Promise<SyncState> {
  await db(SYNC_STATE_TABLE).insert({ stream }).onConflict('stream').ignore();
  return (await readSyncState(db, stream))!;
}

/** Column updates of catalog_sync_state, in camelCase. */
export type SyncStatePatch = Partial<Omit<SyncState, 'stream' | 'revision'>> & { bumpRevision?: boolean };

const STATE_COLUMNS: Record<keyof Omit<SyncStatePatch, 'bumpRevision'>, string> = {
  cursor: 'cursor',
  fullStartedAt: 'full_started_at',
  fullCursor: 'full_cursor',
  lastFullSyncAt: 'last_full_sync_at',
  lastSuccessAt: 'last_success_at',
  lastAttemptAt: 'last_attempt_at',
  lastError: 'last_error',
  lastErrorAt: 'last_error_at',
  consecutiveFailures: 'consecutive_failures',
  lagSeconds: 'lag_seconds',
  itemsCount: 'items_count',
};

export async function updateSyncState(db: Knex | Knex.Transaction, stream: string, patch: SyncStatePatch): Promise<void> {
  const row: Record<string, unknown> = { updated_at: db.fn.now() };
  for (const [key, column] of Object.entries(STATE_COLUMNS)) {
    const value = patch[key as keyof typeof STATE_COLUMNS];
    if (value !== undefined) row[column] = value;
  }
  if (patch.bumpRevision) row.revision = db.raw('revision + 1');
  await db(SYNC_STATE_TABLE).where({ stream }).update(row);
}

/**
 * Upserts shop products. A row is only overwritten by a version at least as new
 * (updated_at_source), so a slow full walk never undoes a fresher incremental change; seeing it
 * again still refreshes synced_at (the walk uses that to find what the shop no longer has).
 */
export async function upsertCatalogRows(trx: Knex | Knex.Transaction, rows: readonly CatalogInsertRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  // clock_timestamp(), not now(): the transaction may have waited for the state row lock.
  const values = rows.map((r) => ({ ...r, synced_at: trx.raw('clock_timestamp()') }));
  const result = await trx(CATALOG_TABLE)
    .insert(values)
    .onConflict('id')
    .merge(UPDATABLE as unknown as string[])
    .where(`${CATALOG_TABLE}.updated_at_source`, '<=', trx.raw('excluded.updated_at_source'));
  return (result as unknown as { rowCount?: number }).rowCount ?? rows.length;
}

/**
 * Starts a full walk unless one is in progress (database clock, the one synced_at is written
 * with); returns the start of the walk in progress.
 */
export async function startFullWalk(db: Knex | Knex.Transaction, stream: string): Promise<Date> {
  const rows = (await db(SYNC_STATE_TABLE)
    .where({ stream })
    .whereNull('full_started_at')
    .update({ full_started_at: db.raw('clock_timestamp()'), full_cursor: null, updated_at: db.fn.now() })
    .returning('full_started_at')) as { full_started_at: Date }[];
  if (rows[0]) return rows[0].full_started_at;
  const state = await readSyncState(db, stream);
  if (!state?.fullStartedAt) throw new Error(`catalog sync state ${stream} is missing`);
  return state.fullStartedAt;
}

/** Deletes rows a full walk started at `startedAt` did not see; returns their ids. */
export async function pruneUnseen(trx: Knex | Knex.Transaction, startedAt: Date): Promise<number[]> {
  const rows = (await trx(CATALOG_TABLE).where('synced_at', '<', startedAt).delete().returning('id')) as { id: string | number }[];
  return rows.map((r) => Number(r.id));
}

export interface LoadOptions {
  ids?: readonly number[];
  activeOnly?: boolean;
}

/** Cache rows in id order (the search engine ranks ties by catalog order, i.e. by id). */
export async function loadCatalogRows(db: Knex, options: LoadOptions = {}): Promise<CatalogRow[]> {
  const q = db(CATALOG_TABLE).select(COLUMNS as unknown as string[]).orderBy('id');
  if (options.ids) {
    if (options.ids.length === 0) return [];
    q.whereIn('id', options.ids as number[]);
  }
  if (options.activeOnly) q.where({ active: true });
  const rows = (await q) as Record<string, unknown>[];
  return rows.map(normalizeRow);
}

export async function getCatalogRow(db: Knex, id: number): Promise<CatalogRow | null> {
  if (!Number.isSafeInteger(id)) return null;
  const row = (await db(CATALOG_TABLE).select(COLUMNS as unknown as string[]).where({ id }).first()) as Record<string, unknown> | undefined;
  return row ? normalizeRow(row) : null;
}

export async function countCatalogRows(db: Knex | Knex.Transaction): Promise<number> {
  const row = (await db(CATALOG_TABLE).count<{ count: string }[]>('* as count'))[0];
  return Number(row?.count ?? 0);
}
