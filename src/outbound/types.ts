/** Shapes shared by the outbound delivery queue, its worker and the nodes that use them. */

export const DELIVERY_STATES = ['pending', 'in_progress', 'delivered', 'dead', 'needs_human'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export const OUTBOUND_TABLE = 'outbound_deliveries';

/** One queued outbound call, as stored in `outbound_deliveries`. */
export interface DeliveryItem {
  readonly id: number;
  readonly destination: string;
  readonly operation: string;
  readonly correlationId: string | null;
  readonly idempotencyKey: string | null;
  readonly payload: unknown;
  readonly state: DeliveryState;
  /** Attempts started so far, including the one in progress. */
  readonly attempt: number;
  readonly nextAttemptAt: Date;
  readonly lockedBy: string | null;
  readonly lockedUntil: Date | null;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly createdAt: Date;
  readonly deadlineAt: Date;
  readonly updatedAt: Date;
  readonly deliveredAt: Date | null;
  readonly deadAt: Date | null;
  readonly replays: number;
}

/**
 * What one delivery attempt came to, after classification:
 * - delivered: the destination accepted it;
 * - transient: worth retrying later (network, timeout, 5xx, 429, 1C 412);
 * - business: the destination understood and refused it; a human must look, no blind retry.
 */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly status?: number; readonly response?: unknown }
  | { readonly kind: 'transient'; readonly status?: number; readonly error: string; readonly retryAfterMs?: number; readonly response?: unknown }
  | { readonly kind: 'business'; readonly status?: number; readonly error: string; readonly code?: string; readonly response?: unknown };

export interface DeliverContext {
  /** Aborted before the item's lock expires (or when the worker stops), so a slow call never outlives its claim. */
  readonly signal: AbortSignal;
}

/** Performs one attempt. A thrown error counts as a transient failure (see classifyOutcome). */
export type DeliverFn = (item: DeliveryItem, context: DeliverContext) => Promise<DeliveryOutcome>;

/** Database row as pg returns it (bigint ids come back as strings). */
export interface DeliveryRow {
  id: string | number;
  destination: string;
  operation: string;
  correlation_id: string | null;
  idempotency_key: string | null;
  payload: unknown;
  state: DeliveryState;
  attempt: number;
  next_attempt_at: Date;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  last_status: number | null;
  created_at: Date;
  deadline_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
  replays: number;
}

/** Ids are bigserial; they stay far below 2^53, so flows get a plain number. */
export function toItem(row: DeliveryRow): DeliveryItem {
  return {
    id: Number(row.id),
    destination: row.destination,
    operation: row.operation,
    correlationId: row.correlation_id,
    idempotencyKey: row.idempotency_key,
    payload: row.payload,
    state: row.state,
    attempt: row.attempt,
    nextAttemptAt: row.next_attempt_at,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until,
    lastError: row.last_error,
    lastStatus: row.last_status,
    createdAt: row.created_at,
    deadlineAt: row.deadline_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
    deadAt: row.dead_at,
    replays: row.replays,
  };
}

export function isDeliveryState(value: unknown): value is DeliveryState {
  return typeof value === 'string' && (DELIVERY_STATES as readonly string[]).includes(value);
}
