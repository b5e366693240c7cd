import type { Knex } from 'knex';
import { DEFAULT_RETRY_POLICY } from './retry-policy';
import { OUTBOUND_TABLE, toItem, type DeliveryItem, type DeliveryRow, type DeliveryState } from './types';

/** Operations for ops: replay, statistics, listing (GET /api/v1/queue and /metrics). */

export class DeliveryNotFoundError extends Error {
  override readonly name = 'DeliveryNotFoundError';
  readonly code = 'DELIVERY_NOT_FOUND';
  constructor(readonly id: number) {
    super(`outbound delivery ${id} does not exist`);
  }
}

/** Replay is for items a human must release; anything else is still in the automatic pipeline or done. */
export class DeliveryNotReplayableError extends Error {
  override readonly name = 'DeliveryNotReplayableError';
  readonly code = 'DELIVERY_NOT_REPLAYABLE';
  constructor(
    readonly id: number,
    readonly state: DeliveryState,
  ) {
    super(`outbound delivery ${id} is ${state}; only dead or needs_human deliveries can be replayed`);
  }
}

export const REPLAYABLE_STATES: readonly DeliveryState[] = ['dead', 'needs_human'];

/**
 * Manual replay: a dead or needs_human item goes back to pending with attempt 0, due now, and a
 * fresh delivery window (otherwise an old item would be dead again after one failure).
 */
export async function replayDead(db: Knex, id: number, options: { now?: Date; deadlineMs?: number } = {}): Promise<DeliveryItem> {
  const now = options.now ?? new Date();
  const deadline = new Date(now.getTime() + (options.deadlineMs ?? DEFAULT_RETRY_POLICY.deadlineMs));
  const rows = (await db(OUTBOUND_TABLE)
    .where({ id })
    .whereIn('state', REPLAYABLE_STATES as DeliveryState[])
    .update(
      {
        state: 'pending',
        attempt: 0,
        next_attempt_at: now,
        deadline_at: deadline,
        locked_by: null,
        locked_until: null,
        dead_at: null,
        updated_at: now,
        replays: db.raw('replays + 1'),
      },
      '*',
    )) as DeliveryRow[];
  if (rows[0]) return toItem(rows[0]);
  const current = (await db(OUTBOUND_TABLE).where({ id }).first('state')) as { state: DeliveryState } | undefined;
  if (!current) throw new DeliveryNotFoundError(id);
  throw new DeliveryNotReplayableError(id, current.state);
}

export interface QueueStat {
  readonly destination: string;
  readonly state: DeliveryState;
  readonly count: number;
  /** Seconds since the oldest item of this group was created. */
  readonly oldestAgeSeconds: number;
}

/**
 * Counts and oldest age by destination and state. Delivered items are left out: they only grow,
 * they are not a queue, and the journal keeps the history (see purgeDelivered).
 */
export async function queueStats(db: Knex, options: { now?: Date; destination?: string } = {}): Promise<QueueStat[]> {
  const now = options.now ?? new Date();
  const result = await db.raw<{ rows: { destination: string; state: DeliveryState; count: string; oldest: Date }[] }>(
    `select destination, state, count(*) as count, min(created_at) as oldest
       from ${OUTBOUND_TABLE}
      where state in ('pending', 'in_progress', 'dead', 'needs_human')
        ${options.destination ? 'and destination = ?' : ''}
      group by destination, state
      order by destination, state`,
    options.destination ? [options.destination] : [],
  );
  return result.rows.map((r) => ({
    destination: r.destination,
    state: r.state,
    count: Number(r.count),
    oldestAgeSeconds: Math.max(0, (now.getTime() - r.oldest.getTime()) / 1000),
  }));
}

export interface ListQueueOptions {
  readonly destination?: string;
  readonly state?: DeliveryState;
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface QueuePage {
  readonly items: DeliveryItem[];
  /** Absent on the last page. */
  readonly nextCursor?: string;
}

export const MAX_LIST_LIMIT = 500;

/** Opaque to callers; it is the last id seen (keyset pagination, newest first, stable under inserts). */
function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError('listQueue: invalid cursor');
  return id;
}

export async function listQueue(db: Knex, options: ListQueueOptions = {}): Promise<QueuePage> {
  const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 50)), MAX_LIST_LIMIT);
  const query = db(OUTBOUND_TABLE).select('*').orderBy('id', 'desc').limit(limit + 1);
  if (options.destination) query.where('destination', options.destination);
  if (options.state) query.where('state', options.state);
  if (options.cursor) query.where('id', '<', decodeCursor(options.cursor));
  const rows = (await query) as DeliveryRow[];
  const items = rows.slice(0, limit).map(toItem);
  const more = rows.length > limit;
  return more ? { items, nextCursor: Buffer.from(String(items[items.length - 1].id)).toString('base64url') } : { items };
}

export async function getDelivery(db: Knex, id: number): Promise<DeliveryItem | undefined> {
  const row = (await db(OUTBOUND_TABLE).where({ id }).first()) as DeliveryRow | undefined;
  return row ? toItem(row) : undefined;
}

/** Retention: delivered items older than `olderThanMs` are deleted in bounded batches. */
export async function purgeDelivered(db: Knex, olderThanMs: number, options: { now?: Date; batch?: number } = {}): Promise<number> {
  const before = new Date((options.now ?? new Date()).getTime() - olderThanMs);
  const batch = options.batch ?? 5000;
  let total = 0;
  for (;;) {
    const result = await db.raw<{ rowCount: number }>(
      `delete from ${OUTBOUND_TABLE} where id in (
         select id from ${OUTBOUND_TABLE} where state = 'delivered' and delivered_at < ? limit ?)`,
      [before, batch],
    );
    total += result.rowCount;
    if (result.rowCount < batch) return total;
  }
}
