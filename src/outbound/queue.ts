import type { Knex } from 'knex';
import { DEFAULT_RETRY_POLICY } from './retry-policy';
import { OUTBOUND_TABLE, toItem, type DeliveryItem, type DeliveryRow } from './types';

/**
 * The queue's storage operations. Every state change after a claim is fenced on
 * (id, state = in_progress, locked_by, attempt): a worker whose lock expired and whose item was
 * reclaimed by another worker cannot overwrite the newer attempt's result.
 *
 * Times come from the caller's clock (`now`), not from the database, so one injected clock drives
 * the whole ladder in tests; in production every instance's clock is the system clock (NTP).
 */
export interface EnqueueInput {
  readonly destination: string;
  readonly operation: string;
  readonly payload: unknown;
  readonly correlationId?: string | null;
  /** Same key enqueued twice → one item (the first); the second call gets it back with created=false. */
  readonly idempotencyKey?: string | null;
  /** Delivery window; defaults to the ladder's 24 h. */
  readonly deadlineMs?: number;
  /** First attempt not before this (default: now). */
  readonly notBefore?: Date;
  readonly now?: Date;
}

export interface EnqueueResult {
  readonly item: DeliveryItem;
  /** False when the idempotency key was already queued. */
  readonly created: boolean;
  /** For a duplicate key: whether the stored payload equals the one just offered. */
  readonly payloadMatches: boolean;
}

/** `db` may be a transaction: enqueue together with the business write that causes it (outbox). */
export async function enqueue(db: Knex, input: EnqueueInput): Promise<EnqueueResult> {
  if (!input.destination) throw new TypeError('enqueue: destination is required');
  if (!input.operation) throw new TypeError('enqueue: operation is required');
  if (input.payload === undefined) throw new TypeError('enqueue: payload is required');
  const now = input.now ?? new Date();
  const payload = JSON.stringify(input.payload);
  const key = input.idempotencyKey || null;
  const inserted = await db.raw<{ rows: DeliveryRow[] }>(
    `insert into ${OUTBOUND_TABLE}
       (destination, operation, correlation_id, idempotency_key, payload, state, attempt, next_attempt_at, created_at, updated_at, deadline_at)
     values (?, ?, ?, ?, ?::jsonb, 'pending', 0, ?, ?, ?, ?)
     on conflict (idempotency_key) do nothing
     returning *`,
    [
      input.destination,
      input.operation,
      input.correlationId ?? null,
      key,
      payload,
      input.notBefore ?? now,
      now,
      now,
      new Date(now.getTime() + (input.deadlineMs ?? DEFAULT_RETRY_POLICY.deadlineMs)),
    ],
  );
  if (inserted.rows[0]) return { item: toItem(inserted.rows[0]), created: true, payloadMatches: true };
  // Conflict: the key exists (committed, or committed by the concurrent insert we waited for).
  const existing = await db.raw<{ rows: (DeliveryRow & { same_payload: boolean })[] }>(
    `select *, payload = ?::jsonb as same_payload from ${OUTBOUND_TABLE} where idempotency_key = ?`,
    [payload, key],
  );
  const row = existing.rows[0];
  if (!row) throw new Error(`enqueue: idempotency key ${key} conflicted but no row was found`);
  return { item: toItem(row), created: false, payloadMatches: row.same_payload };
}

export interface ClaimOptions {
  readonly workerId: string;
  readonly limit: number;
  readonly now: Date;
  readonly lockMs: number;
  /** Destinations not to claim now (their circuit breaker is open). */
  readonly skipDestinations?: readonly string[];
  /** Only these destinations (a worker dedicated to one destination). */
  readonly destinations?: readonly string[];
}

/**
 * Claims up to `limit` due items: pending ones whose time has come, and in-progress ones whose
 * lock expired (their worker crashed or hung). SKIP LOCKED lets concurrent claimers pass each
 * other's rows instead of waiting or taking the same row twice. The claim counts as an attempt.
 */
export async function claimBatch(db: Knex, options: ClaimOptions): Promise<DeliveryItem[]> {
  const { workerId, limit, now, lockMs } = options;
  if (limit <= 0) return [];
  const filters: string[] = [];
  const bindings: Knex.RawBinding[] = [now, now];
  if (options.destinations?.length) {
    filters.push('and destination = any(?::text[])');
    bindings.push([...options.destinations]);
  }
  if (options.skipDestinations?.length) {
    filters.push('and destination <> all(?::text[])');
    bindings.push([...options.skipDestinations]);
  }
  bindings.push(limit, workerId, new Date(now.getTime() + lockMs), now);
  const result = await db.raw<{ rows: DeliveryRow[] }>(
    `with due as (
       select id from ${OUTBOUND_TABLE}
        where ((state = 'pending' and next_attempt_at <= ?) or (state = 'in_progress' and locked_until <= ?))
          ${filters.join(' ')}
        order by next_attempt_at, id
        limit ?
        for update skip locked
     )
     update ${OUTBOUND_TABLE} d
        set state = 'in_progress', locked_by = ?, locked_until = ?, attempt = d.attempt + 1, updated_at = ?
       from due
      where d.id = due.id
     returning d.*`,
    bindings,
  );
  return result.rows.map(toItem).sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || a.id - b.id);
}

/** The fence of every post-claim update; false means the claim was lost to another worker. */
async function updateClaimed(db: Knex, item: DeliveryItem, set: Record<string, unknown>, now: Date): Promise<DeliveryItem | undefined> {
  const rows = (await db(OUTBOUND_TABLE)
    .where({ id: item.id, state: 'in_progress', locked_by: item.lockedBy, attempt: item.attempt })
    .update({ ...set, locked_by: null, locked_until: null, updated_at: now }, '*')) as DeliveryRow[];
  return rows[0] ? toItem(rows[0]) : undefined;
}

export function markDelivered(db: Knex, item: DeliveryItem, now: Date, status?: number): Promise<DeliveryItem | undefined> {
  return updateClaimed(db, item, { state: 'delivered', delivered_at: now, last_status: status ?? null, last_error: null }, now);
}

export function markRetry(db: Knex, item: DeliveryItem, now: Date, at: Date, error: string, status?: number): Promise<DeliveryItem | undefined> {
  return updateClaimed(db, item, { state: 'pending', next_attempt_at: at, last_error: error, last_status: status ?? null }, now);
}

export function markDead(db: Knex, item: DeliveryItem, now: Date, error: string, status?: number): Promise<DeliveryItem | undefined> {
  return updateClaimed(db, item, { state: 'dead', dead_at: now, last_error: error, last_status: status ?? null }, now);
}

export function markNeedsHuman(db: Knex, item: DeliveryItem, now: Date, error: string, status?: number): Promise<DeliveryItem | undefined> {
  return updateClaimed(db, item, { state: 'needs_human', last_error: error, last_status: status ?? null }, now);
}

/** Gives a claimed item back without it counting as an attempt (breaker open, worker stopping). */
export function releaseClaim(db: Knex, item: DeliveryItem, now: Date, at: Date): Promise<DeliveryItem | undefined> {
  return updateClaimed(db, item, { state: 'pending', next_attempt_at: at, attempt: item.attempt - 1 }, now);
}
