/**
 * The retry ladder of SPEC §3.B: 1 m → 5 m → 15 m → 1 h → 3 h → 12 h, each step jittered ±10 %
 * so a destination that comes back is not hit by every queued item at the same second, and a
 * 24 h deadline from creation (or from a manual replay) after which an item is a dead letter.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface RetryPolicy {
  /** Waits after failed attempt 1, 2, …; after the last step the next failure is final. */
  readonly ladderMs: readonly number[];
  /** Relative jitter: 0.1 means ±10 %. */
  readonly jitter: number;
  /** Delivery window, from creation or replay. */
  readonly deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  ladderMs: Object.freeze([1 * MINUTE, 5 * MINUTE, 15 * MINUTE, 1 * HOUR, 3 * HOUR, 12 * HOUR]),
  jitter: 0.1,
  deadlineMs: 24 * HOUR,
});

/** `random` returns [0, 1) like Math.random; 0.5 means no jitter. */
export function jittered(ms: number, jitter: number, random: () => number): number {
  return Math.round(ms * (1 + (random() * 2 - 1) * jitter));
}

export type RetryPlan =
  | { readonly action: 'retry'; readonly at: number; readonly reason: string }
  | { readonly action: 'dead'; readonly reason: string };

export interface RetryInput {
  /** Attempts made so far, including the one that just failed. */
  readonly attempt: number;
  readonly now: number;
  readonly deadlineAt: number;
  /** What the destination asked for (Retry-After); honoured when later than the ladder step. */
  readonly retryAfterMs?: number;
}

/** When to try again after a transient failure, or that the item is dead. */
export function planRetry(input: RetryInput, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random: () => number = Math.random): RetryPlan {
  const { attempt, now, deadlineAt, retryAfterMs } = input;
  if (now >= deadlineAt) return { action: 'dead', reason: `not delivered within ${formatMs(policy.deadlineMs)} (${attempt} attempts)` };
  const step = policy.ladderMs[attempt - 1];
  if (step === undefined) return { action: 'dead', reason: `retry ladder exhausted after ${attempt} attempts` };
  const ladderAt = now + jittered(step, policy.jitter, random);
  const askedAt = retryAfterMs === undefined ? 0 : now + retryAfterMs;
  if (askedAt > deadlineAt) {
    return { action: 'dead', reason: `destination asked to wait ${formatMs(retryAfterMs ?? 0)}, past the delivery deadline` };
  }
  // A step landing after the deadline still gets one last try at the deadline itself.
  const at = Math.min(Math.max(ladderAt, askedAt), deadlineAt);
  const reason = askedAt > ladderAt ? `Retry-After ${formatMs(retryAfterMs ?? 0)}` : at < ladderAt ? 'last try at the deadline' : `ladder step ${attempt}`;
  return { action: 'retry', at, reason };
}

export function formatMs(ms: number): string {
  if (ms % HOUR === 0 && ms >= HOUR) return `${ms / HOUR} h`;
  if (ms % MINUTE === 0 && ms >= MINUTE) return `${ms / MINUTE} min`;
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}
