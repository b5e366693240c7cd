import { checkPolicy, type TokenBucketPolicy } from './token-bucket';

/** Analysts think in "30 per minute"; the bucket counts tokens per second. */
export const PERIOD_SECONDS = { second: 1, minute: 60, hour: 3600 } as const;
export type RatePeriod = keyof typeof PERIOD_SECONDS;

export function policyFrom(rate: number, per: RatePeriod, burst: number): TokenBucketPolicy {
  const seconds = PERIOD_SECONDS[per];
  if (!seconds) throw new RangeError(`rate limit: unknown period "${String(per)}" (second, minute or hour)`);
  const policy = { rate: Number(rate) / seconds, burst: Number(burst) };
  checkPolicy(policy);
  return policy;
}
