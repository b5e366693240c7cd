import type { Response } from 'express';
import type { Knex } from 'knex';
import { CORRELATION_HEADER } from '../http/correlation';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from '../http/problem';
import type { IdempotencyContext } from './gate';
import { idempotencyProblem } from './problems';
import { complete, release, type StoredResponse } from './store';

/** Response sending for API routes (mw-respond and idempotencyMiddleware), store-first. */

export const REPLAYED_HEADER = 'Idempotent-Replayed';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/**
 * Statuses that promise "nothing was done, retry": answering them frees the key instead of
 * storing the answer, otherwise every retry with the same key would replay the refusal forever.
 * Flows must only use them when nothing was committed.
 */
export const DEFAULT_RELEASE_STATUSES: readonly number[] = [429, 503];
/** Never stored for replay: they describe the current exchange, not the result. */
const NEVER_STORED = new Set(['x-correlation-id', 'content-length', 'date', 'connection', 'transfer-encoding', 'set-cookie', 'idempotent-replayed']);

export interface OutgoingResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface ResponseInput {
  readonly payload?: unknown;
  readonly statusCode?: unknown;
  readonly headers?: Record<string, unknown>;
  /** When present the response is this problem (RFC 9457), whatever payload says. */
  readonly problem?: ProblemDetails;
  readonly correlationId?: string;
  readonly instance?: string;
}

function lowerHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function validStatus(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 200 && n <= 599 ? n : fallback;
}

const isJsonType = (type: string): boolean => /^application\/([\w.+-]*\+)?json\b/i.test(type);

/** Serialises msg-style input into the exact status, headers and bytes to send (and store). */
export function buildResponse(input: ResponseInput): OutgoingResponse {
  const headers = lowerHeaders(input.headers);
  if (input.problem) {
    const problem: ProblemDetails = { ...input.problem };
    problem.status = validStatus(problem.status, 500);
    if (!problem.correlation_id && input.correlationId) problem.correlation_id = input.correlationId;
    if (!problem.instance && input.instance) problem.instance = input.instance;
    headers['content-type'] = PROBLEM_CONTENT_TYPE;
    return { status: problem.status, headers, body: Buffer.from(JSON.stringify(problem)) };
  }
  const status = validStatus(input.statusCode, 200);
  const { payload } = input;
  if (payload === undefined || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
  if (Buffer.isBuffer(payload)) {
    headers['content-type'] ??= 'application/octet-stream';
    return { status, headers, body: payload };
  }
  // A string under an explicit non-JSON type (text/csv, text/html…) goes out as is.
  if (typeof payload === 'string' && headers['content-type'] && !isJsonType(headers['content-type'])) {
    return { status, headers, body: Buffer.from(payload) };
  }
  headers['content-type'] ??= JSON_CONTENT_TYPE;
  return { status, headers, body: Buffer.from(JSON.stringify(payload) ?? 'null') };
}

/** Writes a response; the correlation id is always echoed. */
export function writeResponse(res: Response, response: OutgoingResponse, correlationId: string | undefined, extraHeaders: Record<string, string> = {}): void {
  res.status(response.status);
  for (const [name, value] of Object.entries({ ...response.headers, ...extraHeaders })) res.setHeader(name, value);
  if (correlationId) res.setHeader(CORRELATION_HEADER, correlationId);
  if (response.body.length === 0) res.end();
  else res.send(response.body);
}

export function writeReplay(res: Response, stored: StoredResponse, correlationId: string | undefined): void {
  writeResponse(res, stored, correlationId, { [REPLAYED_HEADER]: 'true' });
}

/** The part of a response kept for replay: status, chosen headers (+ Content-Type), exact body. */
export function storableResponse(response: OutgoingResponse, storeHeaders: readonly string[]): StoredResponse {
  const keep = new Set(['content-type', ...storeHeaders.map((h) => h.toLowerCase())]);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (keep.has(name) && !NEVER_STORED.has(name)) headers[name] = value;
  }
  return { status: response.status, headers, body: response.body };
}

export type RespondOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'stored' }
  | { readonly kind: 'released'; readonly error?: unknown }
  | { readonly kind: 'replayed_winner' }
  | { readonly kind: 'lost' }
  | { readonly kind: 'store_failed'; readonly error: unknown };

export interface RespondOptions {
  readonly releaseStatuses?: readonly number[];
  /** Delays between attempts to record the response (a DB blip must not cost the answer). */
  readonly storeRetryDelaysMs?: readonly number[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sends a response; under an idempotency key it is recorded as completed FIRST.
 *
 * Why store before send: once the client has bytes, it may act on them and the key must replay
 * them. Send-then-store leaves a window (crash, DB error, lost socket) where the client was
 * answered but the key is still in flight; after its lease a retry would execute a second time.
 * Store-then-send has only the harmless opposite window: stored but not delivered — the
 * client's retry gets the stored answer as a replay. If the answer cannot be stored, it is not
 * sent: the client gets 503 and retries with the same key.
 */
export async function respond(
  db: Knex | undefined,
  res: Response,
  context: IdempotencyContext | undefined,
  response: OutgoingResponse,
  correlationId: string | undefined,
  options: RespondOptions = {},
): Promise<RespondOutcome> {
  if (!context) {
    writeResponse(res, response, correlationId);
    return { kind: 'sent' };
  }
  if (!db) throw new Error('a database is needed to answer a request that passed the idempotency gate');
  if ((options.releaseStatuses ?? DEFAULT_RELEASE_STATUSES).includes(response.status)) {
    let error: unknown;
    await release(db, context).catch((e: unknown) => (error = e)); // the lease frees it anyway
    writeResponse(res, response, correlationId);
    return { kind: 'released', error };
  }
  const stored = storableResponse(response, context.storeHeaders);
  const delays = options.storeRetryDelaysMs ?? [50, 250];
  let lastError: unknown;
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    if (attempt > 0) await sleep(delays[attempt - 1]);
    try {
      const result = await complete(db, { principal: context.principal, key: context.key, fingerprint: context.fingerprint, response: stored });
      if (result.kind === 'stored') {
        writeResponse(res, response, correlationId);
        return { kind: 'stored' };
      }
      if (result.kind === 'already_completed') {
        // A takeover twin finished first; one key, one answer: send the recorded one.
        writeReplay(res, result.response, correlationId);
        return { kind: 'replayed_winner' };
      }
      writeResponse(res, response, correlationId);
      return { kind: 'lost' };
    } catch (error) {
      lastError = error;
    }
  }
  const problem = idempotencyProblem('IDEMPOTENCY_UNAVAILABLE', { correlationId, detail: 'The result could not be recorded. Retry with the same Idempotency-Key.' });
  writeResponse(res, buildResponse({ problem, correlationId }), correlationId, { 'Retry-After': String(Math.ceil(context.leaseMs / 1000)) });
  return { kind: 'store_failed', error: lastError };
}
