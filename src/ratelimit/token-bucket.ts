import type { Knex } from 'knex';

/**
 * Token-bucket rate limiting per principal, with the buckets in PostgreSQL.
 *
 * Multi-instance: every middleware instance checks the same row in the same database, so a
 * principal has one budget however many instances serve it, and one clock (the database's
 * statement_timestamp()) measures refill, so instance clock skew does not matter. A check is one
 * round trip: a single INSERT … ON CONFLICT DO UPDATE … WHERE that refills and takes a token
 * atomically under the row lock. Concurrent checks of one key queue on that lock and each sees the
 * previous one's result, so N parallel requests against a burst of B let exactly B through.
 * Different keys never wait for each other.
 */

export interface TokenBucketPolicy {
  /** Tokens added per second (the sustained request rate). */
  readonly rate: number;
  /** Bucket size: requests allowed at once after a quiet period. */
  readonly burst: number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this check. */
  readonly remaining: number;
  /** When refused: whole seconds until enough tokens are back (≥ 1); 0 when allowed. */
  readonly retryAfterSeconds: number;
  /** The burst (RateLimit-Limit). */
  readonly limit: number;
  /** Whole seconds until the bucket is full again (RateLimit-Reset). */
  readonly resetSeconds: number;
}

export interface CheckOptions {
  /** Tokens this request costs (default 1). */
  readonly cost?: number;
  /** A fixed time instead of the database clock; for tests only. */
  readonly now?: Date;
}

export const RATE_LIMIT_TABLE = 'rate_limit_buckets';
export const MAX_KEY_LENGTH = 256;

export function checkPolicy(policy: TokenBucketPolicy): void {
  if (!(Number.isFinite(policy.rate) && policy.rate > 0)) throw new RangeError(`rate limit: rate must be > 0 tokens/s (got ${policy.rate})`);
  if (!(Number.isFinite(policy.burst) && policy.burst >= 1)) throw new RangeError(`rate limit: burst must be ≥ 1 (got ${policy.burst})`);
}

// Bindings are cast in SQL because pg sends them as untyped text.
const BURST = 'cast(:burst as double precision)';
const RATE = 'cast(:rate as double precision)';
const COST = 'cast(:cost as double precision)';

// The refill, written once: tokens at updated_at plus rate × elapsed, capped at the burst. The
// elapsed time is never negative: a check whose statement started before the previous holder of
// the row lock committed must not take tokens back.
function available(row: string, now: string): string {
  return `least(${BURST}, ${row}.tokens + greatest(0, extract(epoch from (${now} - ${row}.updated_at))) * ${RATE})`;
}

/*
 * attempt: the first check of a key inserts a full bucket minus the cost. Later checks update
 * only when enough tokens are available (the WHERE); the row is locked either way, so the
 * decision is made on the latest committed state. No row back from `attempt` means refused.
 * The second branch reads the bucket for the Retry-After of a refusal. It sees the statement's
 * snapshot, which a concurrent check may have changed since: then the hint is a little short
 * (never below 1 s), which only makes a client retry a little early.
 */
function checkSql(now: string): string {
  return `
with attempt as (
  insert into ${RATE_LIMIT_TABLE} as b (key, tokens, updated_at)
  values (:key, ${BURST} - ${COST}, ${now})
  on conflict (key) do update
     set tokens = ${available('b', now)} - ${COST},
         updated_at = greatest(b.updated_at, ${now})
   where ${available('b', now)} >= ${COST}
  returning tokens
)
select true as allowed, tokens from attempt
union all
select false as allowed, ${available('r', now)} as tokens
  from ${RATE_LIMIT_TABLE} r
 where r.key = :key and not exists (select 1 from attempt)`;
}

const SQL_DB_CLOCK = checkSql('statement_timestamp()');
const SQL_FIXED_CLOCK = checkSql('cast(:now as timestamptz)');

/** Takes `cost` tokens from the bucket of `key` if it has them. */
export async function consumeToken(db: Knex, key: string, policy: TokenBucketPolicy, options: CheckOptions = {}): Promise<RateLimitDecision> {
  checkPolicy(policy);
  const cost = options.cost ?? 1;
  if (!(cost > 0 && cost <= policy.burst)) throw new RangeError(`rate limit: cost must be in (0, burst] (got ${cost})`);
  if (!key || key.length > MAX_KEY_LENGTH) throw new RangeError(`rate limit: key must be 1–${MAX_KEY_LENGTH} characters`);
  const bindings: Record<string, string | number> = { key, burst: policy.burst, rate: policy.rate, cost };
  if (options.now) bindings.now = options.now.toISOString();
  const { rows } = await db.raw<{ rows: { allowed: boolean; tokens: number | null }[] }>(options.now ? SQL_FIXED_CLOCK : SQL_DB_CLOCK, bindings);
  return decide(rows[0], policy, cost);
}

function decide(row: { allowed: boolean; tokens: number | null } | undefined, policy: TokenBucketPolicy, cost: number): RateLimitDecision {
  const limit = Math.floor(policy.burst);
  // No row at all: refused on a bucket created by a concurrent check after our snapshot.
  const tokens = Math.max(0, Number(row?.tokens ?? 0));
  const resetSeconds = Math.max(0, Math.ceil((policy.burst - tokens) / policy.rate));
  if (row?.allowed) return { allowed: true, remaining: Math.floor(tokens), retryAfterSeconds: 0, limit, resetSeconds };
  const missing = Math.max(0, cost - tokens);
  return { allowed: false, remaining: Math.floor(tokens), retryAfterSeconds: Math.max(1, Math.ceil(missing / policy.rate)), limit, resetSeconds };
}

/**
 * Deletes buckets untouched for `idleSeconds`. Safe when that is at least burst / rate of every
 * policy (such a bucket is full again, the same as no row). Run it from a periodic job; without
 * it the table keeps one small row per principal ever seen (e.g. every client IP).
 */
export async function pruneIdleBuckets(db: Knex, idleSeconds = 24 * 3600): Promise<number> {
  const { rowCount } = await db.raw<{ rowCount: number }>(
    `delete from ${RATE_LIMIT_TABLE} where updated_at < statement_timestamp() - make_interval(secs => cast(? as double precision))`,
    [idleSeconds],
  );
  return rowCount;
}
