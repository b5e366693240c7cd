export { consumeToken, pruneIdleBuckets, checkPolicy, RATE_LIMIT_TABLE, type TokenBucketPolicy, type RateLimitDecision, type CheckOptions } from './token-bucket';
export { principalKey } from './principal';
export { rateLimitHeaders } from './headers';
export { rateLimitProblem } from './problem';
export { policyFrom, PERIOD_SECONDS, type RatePeriod } from './policy';
export { rateLimitMiddleware, type RateLimitMiddlewareOptions } from './express';
export { startBucketPruner } from './pruner';
