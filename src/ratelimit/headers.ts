import type { RateLimitDecision } from './token-bucket';

/**
 * Response headers of a rate-limit decision: the RateLimit-Limit / -Remaining / -Reset fields of
 * the IETF httpapi draft (the form most clients and proxies read) on every answer, and
 * Retry-After (RFC 9110, whole seconds) when refused.
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
  };
  if (!decision.allowed) headers['Retry-After'] = String(decision.retryAfterSeconds);
  return headers;
}
