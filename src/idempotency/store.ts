import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * PostgreSQL state of Idempotency-Key requests (table idempotency_keys).
 *
 * Guarantees:
 * - Exactly one caller gets `execute` for a (principal, key): the claim is a single
 *   INSERT … ON CONFLICT DO UPDATE, so PostgreSQL's row lock decides, across processes.
 * - A completed key never executes again while it lives (its row only changes by expiry).
 * - An in-flight key is held under a lease. If its executor dies, nobody renews or completes it;
 *   after `lease_until` the next identical request takes the key over and executes. The lease
 *   must therefore be longer than any real execution, or a slow execution could run twice.
 */

export interface StoredResponse {
  readonly status: number;
  /** Lower-case header names; only the ones chosen for replay. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes that were sent. */
  readonly body: Buffer;
}

export interface BeginInput {
  readonly principal: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly leaseMs: number;
  readonly ttlMs: number;
}

export type BeginResult =
  | { readonly kind: 'execute'; readonly leaseToken: string; readonly takeover: boolean }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'conflict_payload' }
  | { readonly kind: 'in_flight'; readonly retryAfterSeconds: number };

export const DEFAULT_TTL_MS = 72 * 3600_000;
export const DEFAULT_LEASE_MS = 60_000;
/**
 * Retry-After for 409: the remaining lease is only the worst case (a crash); a normal execution
 * ends in well under a second, so clients are told to come back soon rather than in a minute.
 */
const MAX_IN_FLIGHT_RETRY_AFTER_S = 2;
/** begin() re-tries its claim when the row changed between the claim and the read. */
const MAX_CLAIM_ROUNDS = 5;

interface KeyRow {
  fingerprint: string;
  state: 'in_flight' | 'completed';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
  expired: boolean;
  lease_remaining_s: number | null;
}

function storedResponseOf(row: KeyRow): StoredResponse {
  return { status: row.response_status ?? 500, headers: row.response_headers ?? {}, body: row.response_body ?? Buffer.alloc(0) };
}

/**
 * The claim. The row is taken (inserted or overwritten) when it does not exist, when it has
 * expired (a stale row not yet purged counts as absent), or when it is an in-flight row whose
 * lease ran out and the request is the same (crash takeover). In every other case the WHERE is
 * false: PostgreSQL still locks the row, returns nothing, and the caller reads what is there.
 *
 * The claim commits without waiting for the WAL flush (set_config local to this one-statement
 * transaction): it must be visible at once, not durable at once. WAL is sequential, so the
 * request's side effects and its stored answer, which commit synchronously afterwards, make the
 * claim durable too; a database crash before them loses the claim and nothing else, and the
 * retry simply executes. Under load this saves one fsync wait per request.
 */
const CLAIM_SQL = `
  insert into idempotency_keys as k (principal, key, fingerprint, state, lease_token, lease_until, created_at, expires_at)
  select ?, ?, ?, 'in_flight', ?::uuid, now() + make_interval(secs => ?), now(), now() + make_interval(secs => ?)
    from (select set_config('synchronous_commit', 'off', true)) as async_commit
  on conflict (principal, key) do update set
    fingerprint      = excluded.fingerprint,
    state            = 'in_flight',
    lease_token      = excluded.lease_token,
    lease_until      = excluded.lease_until,
    takeovers        = case when k.expires_at <= now() then 0 else k.takeovers + 1 end,
    response_status  = null,
    response_headers = null,
    response_body    = null,
    completed_at     = null,
    created_at       = case when k.expires_at <= now() then now() else k.created_at end,
    -- A taken-over key must not expire in the middle of its new execution.
    expires_at       = case when k.expires_at <= now() then excluded.expires_at
                            else greatest(k.expires_at, excluded.lease_until) end
  where k.expires_at <= now()
     or (k.state = 'in_flight' and k.lease_until <= now() and k.fingerprint = excluded.fingerprint)
  returning k.takeovers`;

// Read with the database clock, so app servers with skewed clocks agree on leases and expiry.
const READ_SQL = `
  select fingerprint, state, response_status, response_headers, response_body,
         expires_at <= now() as expired,
         extract(epoch from (lease_until - now()))::float8 as lease_remaining_s
    from idempotency_keys where principal = ? and key = ?`;

export async function begin(db: Knex, input: BeginInput): Promise<BeginResult> {
  if (!(input.leaseMs > 0) || !(input.ttlMs > input.leaseMs)) throw new RangeError('idempotency: need 0 < leaseMs < ttlMs');
  for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
    const leaseToken = randomUUID();
    const claimed = await db.raw<{ rows: { takeovers: number }[] }>(CLAIM_SQL, [
      input.principal,
      input.key,
      input.fingerprint,
      leaseToken,
      input.leaseMs / 1000,
      input.ttlMs / 1000,
    ]);
    if (claimed.rows.length === 1) return { kind: 'execute', leaseToken, takeover: claimed.rows[0].takeovers > 0 };

    // Separate statement on purpose: in READ COMMITTED it gets a fresh snapshot and so sees the
    // row the claim conflicted with, even if that row was committed after the claim started.
    const read = await db.raw<{ rows: KeyRow[] }>(READ_SQL, [input.principal, input.key]);
    const row = read.rows[0];
    // Gone (purged) or just expired / lease just ran out: the next claim round will take it.
    if (!row || row.expired) continue;
    if (row.fingerprint !== input.fingerprint) return { kind: 'conflict_payload' };
    if (row.state === 'completed') return { kind: 'replay', response: storedResponseOf(row) };
    const remaining = row.lease_remaining_s ?? 0;
    if (remaining <= 0) continue;
    return { kind: 'in_flight', retryAfterSeconds: Math.min(MAX_IN_FLIGHT_RETRY_AFTER_S, Math.max(1, Math.ceil(remaining))) };
  }
  throw new Error(`idempotency: could not settle the state of the key after ${MAX_CLAIM_ROUNDS} rounds`);
}

export interface CompleteInput {
  readonly principal: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly response: StoredResponse;
}

export type CompleteResult =
  /** This response is now the durable answer for the key. */
  | { readonly kind: 'stored' }
  /** Another executor (after a lease takeover) completed first: its answer is the one to send. */
  | { readonly kind: 'already_completed'; readonly response: StoredResponse }
  /** The row is gone or belongs to another request (expired and reused): nothing was stored. */
  | { readonly kind: 'lost' };

/**
 * Records the response. The first completion wins; it does not check the lease token, because
 * after a takeover both executions have already happened and the client must get one answer.
 */
export async function complete(db: Knex, input: CompleteInput): Promise<CompleteResult> {
  const { response } = input;
  const updated = await db.raw<{ rowCount: number }>(
    `update idempotency_keys
        set state = 'completed', response_status = ?, response_headers = ?::jsonb, response_body = ?,
            completed_at = now(), lease_token = null, lease_until = null
      where principal = ? and key = ? and fingerprint = ? and state = 'in_flight'`,
    [response.status, JSON.stringify(response.headers), response.body, input.principal, input.key, input.fingerprint],
  );
  if (updated.rowCount === 1) return { kind: 'stored' };
  const read = await db.raw<{ rows: KeyRow[] }>(READ_SQL, [input.principal, input.key]);
  const row = read.rows[0];
  if (row && row.state === 'completed' && row.fingerprint === input.fingerprint) {
    return { kind: 'already_completed', response: storedResponseOf(row) };
  }
  return { kind: 'lost' };
}

export interface ReleaseInput {
  readonly principal: string;
  readonly key: string;
  readonly leaseToken: string;
}

/**
 * Frees an in-flight key so the client's retry executes, e.g. after answering 503/429, which
 * promise that nothing was done. Only the current lease holder can release: a late caller whose
 * lease was taken over must not free the new owner's execution. Completed keys are never freed.
 */
export async function release(db: Knex, input: ReleaseInput): Promise<boolean> {
  const r = await db.raw<{ rowCount: number }>(
    `delete from idempotency_keys where principal = ? and key = ? and lease_token = ? and state = 'in_flight'`,
    [input.principal, input.key, input.leaseToken],
  );
  return r.rowCount === 1;
}

/** Deletes expired keys in small batches (short locks); returns how many were deleted. */
export async function purgeExpired(db: Knex, now: Date = new Date(), batchSize = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await db.raw<{ rowCount: number }>(
      `delete from idempotency_keys where ctid in (select ctid from idempotency_keys where expires_at <= ? limit ?)`,
      [now, batchSize],
    );
    total += r.rowCount;
    if (r.rowCount < batchSize) return total;
  }
}
