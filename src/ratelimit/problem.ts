import { problemFromCode, type ProblemDetails } from '../http/problem';
import type { ProblemContext } from '../http/problem-request';
import type { RateLimitDecision } from './token-bucket';

/** The 429 answer; `retry_after` repeats the header for clients that only read the body. */
export function rateLimitProblem(decision: RateLimitDecision, context: ProblemContext = {}): ProblemDetails {
  return problemFromCode('RATE_LIMITED', {
    ...context,
    detail: `Too many requests; retry in ${decision.retryAfterSeconds} s.`,
    extra: { retry_after: decision.retryAfterSeconds },
  });
}
