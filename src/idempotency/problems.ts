import type { ProblemDetails } from '../http/problem';

/**
 * The problem responses of the idempotency gate, in one place so they can move to the shared
 * catalogue (problemFromCode in src/http/) without touching callers.
 */
export type IdempotencyProblemCode =
  | 'IDEMPOTENCY_KEY_MISSING'
  | 'IDEMPOTENCY_KEY_MALFORMED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_IN_FLIGHT'
  | 'IDEMPOTENCY_UNAVAILABLE';

const CATALOGUE: Record<IdempotencyProblemCode, { status: number; title: string; slug: string; detail: string }> = {
  IDEMPOTENCY_KEY_MISSING: {
    status: 400,
    title: 'Idempotency-Key header is missing',
    slug: 'idempotency-key-missing',
    detail: 'State-changing requests need an Idempotency-Key header (e.g. a UUID) so a retry cannot act twice.',
  },
  IDEMPOTENCY_KEY_MALFORMED: {
    status: 400,
    title: 'Idempotency-Key header is malformed',
    slug: 'idempotency-key-malformed',
    detail: 'The key must be 1–255 visible ASCII characters, sent once.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'Idempotency-Key was used for a different request',
    slug: 'idempotency-key-reused',
    detail: 'This key was already used with a different request (method, path or body). Use a new key for a new request.',
  },
  IDEMPOTENCY_IN_FLIGHT: {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed',
    slug: 'idempotency-in-flight',
    detail: 'Retry after the time given in Retry-After to get its result.',
  },
  IDEMPOTENCY_UNAVAILABLE: {
    status: 503,
    title: 'Idempotency state is unavailable',
    slug: 'idempotency-unavailable',
    detail: 'The request was not processed because its Idempotency-Key could not be recorded. Retry with the same key.',
  },
};

export interface ProblemContext {
  /** Request path, for `instance`. */
  readonly instance?: string;
  readonly correlationId?: string;
  /** Replaces the default detail (e.g. why a key is malformed). */
  readonly detail?: string;
}

export function idempotencyProblem(code: IdempotencyProblemCode, ctx: ProblemContext = {}): ProblemDetails {
  const entry = CATALOGUE[code];
  const problem: ProblemDetails = {
    type: `https://spareparts-mw.example/problems/${entry.slug}`,
    title: entry.title,
    status: entry.status,
    detail: ctx.detail ?? entry.detail,
    code,
  };
  if (ctx.instance) problem.instance = ctx.instance;
  if (ctx.correlationId) problem.correlation_id = ctx.correlationId;
  return problem;
}
