import type { IncomingHttpHeaders } from 'node:http';
import type { Knex } from 'knex';
import type { ProblemDetails } from '../http/problem';
import { hashPrincipal, requestFingerprint } from './fingerprint';
import { parseIdempotencyKey } from './key';
import { idempotencyProblem } from './problems';
import { begin, DEFAULT_LEASE_MS, DEFAULT_TTL_MS, type StoredResponse } from './store';

/**
 * The idempotency gate in front of a state-changing route, independent of Node-RED and of
 * Express routing: both the mw-idempotency node and idempotencyMiddleware() call it.
 */

/** Methods that never change state pass the gate untouched (no key needed, nothing stored). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export interface GateOptions {
  readonly ttlMs?: number;
  readonly leaseMs?: number;
  /** Response headers (besides Content-Type) that are stored and replayed, e.g. Location. */
  readonly storeHeaders?: readonly string[];
}

export interface GateRequest {
  readonly method: string;
  /** The concrete request path without the query string. */
  readonly path: string;
  readonly query?: Record<string, unknown>;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  /** Already resolved: see principalOf(). */
  readonly principal: string;
  readonly correlationId?: string;
}

/** What the responder needs to record the outcome; travels as msg.idempotency / res.locals. */
export interface IdempotencyContext {
  readonly principal: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly leaseToken: string;
  readonly leaseMs: number;
  readonly storeHeaders: readonly string[];
  /** True when this execution took over a key whose earlier executor's lease had run out. */
  readonly takeover: boolean;
}

/**
 * The key downstream side effects are made idempotent with (durable queue rows, shop orders'
 * externalId, B24 task markers). The gate alone cannot make a crash between "side effect
 * committed" and "response stored" safe: after the lease runs out the retry executes again, and
 * only a side effect keyed by the same request key turns that second execution into a no-op.
 */
export function sideEffectKey(context: Pick<IdempotencyContext, 'principal' | 'key'>): string {
  return `${context.principal}:${context.key}`;
}

export type GateDecision =
  | { readonly kind: 'pass' }
  | { readonly kind: 'execute'; readonly context: IdempotencyContext }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'problem'; readonly problem: ProblemDetails; readonly headers: Readonly<Record<string, string>>; readonly error?: unknown };

export const ANONYMOUS_PRINCIPAL = 'anonymous';

/**
 * Keys are scoped per principal (two clients may pick the same key). Secrets such as user tokens
 * are hashed so the table never holds them; a request without a principal shares the anonymous
 * scope, where random keys (UUIDs) still do not collide.
 */
export function principalOf(value: unknown, hash: boolean): string {
  if (value === undefined || value === null || value === '') return ANONYMOUS_PRINCIPAL;
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : JSON.stringify(value);
  return hash ? hashPrincipal(text) : text;
}

export function normaliseHeaderList(list: readonly string[] | string | undefined): string[] {
  const items = typeof list === 'string' ? list.split(/[\s,]+/) : (list ?? []);
  return [...new Set(items.map((h) => h.trim().toLowerCase()).filter(Boolean))];
}

export async function gateRequest(db: Knex, req: GateRequest, options: GateOptions = {}): Promise<GateDecision> {
  if (SAFE_METHODS.has(req.method.toUpperCase())) return { kind: 'pass' };
  const ctx = { instance: req.path, correlationId: req.correlationId };
  const parsed = parseIdempotencyKey(req.headers['idempotency-key']);
  if (!parsed.ok) return { kind: 'problem', problem: idempotencyProblem(parsed.code, { ...ctx, detail: `${parsed.reason}.` }), headers: {} };

  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const fingerprint = requestFingerprint({ method: req.method, path: req.path, query: req.query, principal: req.principal, body: req.body });
  let result;
  try {
    result = await begin(db, { principal: req.principal, key: parsed.key, fingerprint, leaseMs, ttlMs: options.ttlMs ?? DEFAULT_TTL_MS });
  } catch (error) {
    // Without a recorded key we cannot promise "at most once", so the request is refused, not run.
    return { kind: 'problem', problem: idempotencyProblem('IDEMPOTENCY_UNAVAILABLE', ctx), headers: { 'Retry-After': '1' }, error };
  }
  switch (result.kind) {
    case 'execute':
      return {
        kind: 'execute',
        context: {
          principal: req.principal,
          key: parsed.key,
          fingerprint,
          leaseToken: result.leaseToken,
          leaseMs,
          storeHeaders: normaliseHeaderList(options.storeHeaders),
          takeover: result.takeover,
        },
      };
    case 'replay':
      return { kind: 'replay', response: result.response };
    case 'conflict_payload':
      return { kind: 'problem', problem: idempotencyProblem('IDEMPOTENCY_KEY_REUSED', ctx), headers: {} };
    case 'in_flight':
      return { kind: 'problem', problem: idempotencyProblem('IDEMPOTENCY_IN_FLIGHT', ctx), headers: { 'Retry-After': String(result.retryAfterSeconds) } };
  }
}
