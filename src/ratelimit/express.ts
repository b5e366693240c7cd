import type { Request, RequestHandler } from 'express';
import type { Knex } from 'knex';
import { sendProblem } from '../http/problem';
import { problemContextOf } from '../http/problem-request';
import { rateLimitHeaders } from './headers';
import { principalKey } from './principal';
import { rateLimitProblem } from './problem';
import { consumeToken, type TokenBucketPolicy } from './token-bucket';

export interface RateLimitMiddlewareOptions {
  readonly db: Knex;
  readonly policy: TokenBucketPolicy;
  /** The bucket key of the caller (see principalKey); undefined → limited by IP as `ip:<address>`. */
  readonly keyOf?: (req: Request) => string | undefined;
  /** Let requests through when the database fails (default true); false passes the error on. */
  readonly failOpen?: boolean;
  readonly onError?: (error: unknown, req: Request) => void;
}

/**
 * The mw-rate-limit node's behaviour for API routes mounted on Express directly: RateLimit-*
 * headers on every answer, 429 RATE_LIMITED problem with Retry-After when refused.
 */
export function rateLimitMiddleware(options: RateLimitMiddlewareOptions): RequestHandler {
  return (req, res, next) => {
    const key = options.keyOf?.(req) ?? principalKey('ip:', req.ip);
    if (!key) {
      next();
      return;
    }
    consumeToken(options.db, key, options.policy).then(
      (decision) => {
        for (const [name, value] of Object.entries(rateLimitHeaders(decision))) res.setHeader(name, value);
        if (decision.allowed) next();
        else sendProblem(res, rateLimitProblem(decision, problemContextOf(req)));
      },
      (error: unknown) => {
        options.onError?.(error, req);
        if (options.failOpen ?? true) next();
        else next(error);
      },
    );
  };
}
