import type { DeliveryOutcome } from './types';

/**
 * Turns what came back from a destination into a DeliveryOutcome. The rules follow what our
 * destinations actually answer (SPEC §2): Bitrix/B24 `{error, error_description}`, 1C OData
 * `{"odata.error": {code, message}}`, Telegram `{ok:false, error_code, parameters.retry_after}`.
 */
export type HeadersLike = Headers | Record<string, string | string[] | number | undefined> | undefined;

export type AttemptResult =
  | { readonly status: number; readonly headers?: HeadersLike; readonly body?: unknown }
  | { readonly error: unknown };

/** Bitrix error codes that mean "come back later", not "your request is wrong". */
const BITRIX_TRANSIENT_CODES = new Set(['QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'INTERNAL_SERVER_ERROR', 'TEMPORARY_UNAVAILABLE']);

/** Socket and undici error codes of a call that never got an answer. */
const NETWORK_CODES = /^(E(CONNREFUSED|CONNRESET|CONNABORTED|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN|ADDRINUSE)|UND_ERR_.*)$/;

const MAX_ERROR_TEXT = 2000;

export function headerValue(headers: HeadersLike, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? String(value[0]) : String(value);
  }
  return undefined;
}

/** Retry-After as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined; // a bare negative or decimal number is not a date either
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

interface ErrorEnvelope {
  readonly system: 'bitrix' | '1c' | 'telegram';
  readonly code: string;
  readonly message: string;
  readonly retryAfterMs?: number;
}

/** Recognises the error envelopes of our destinations inside a response body. */
export function errorEnvelope(body: unknown): ErrorEnvelope | undefined {
  const record = asRecord(body);
  if (!record) return undefined;
  const odata = asRecord(record['odata.error']);
  if (odata) {
    const message = asRecord(odata.message);
    return { system: '1c', code: String(odata.code ?? ''), message: String(message?.value ?? odata.message ?? '') };
  }
  if (typeof record.error === 'string' && record.error) {
    return { system: 'bitrix', code: record.error, message: String(record.error_description ?? '') };
  }
  if (record.ok === false && 'error_code' in record) {
    const retryAfter = Number(asRecord(record.parameters)?.retry_after);
    return {
      system: 'telegram',
      code: String(record.error_code),
      message: String(record.description ?? ''),
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    };
  }
  return undefined;
}

function describe(status: number, envelope: ErrorEnvelope | undefined, body: unknown): string {
  if (envelope) return truncate(`HTTP ${status} ${envelope.code}${envelope.message ? `: ${envelope.message}` : ''}`);
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  return truncate(`HTTP ${status}${text ? ` ${text}` : ''}`);
}

function classifyError(error: unknown): DeliveryOutcome {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  const code = e?.code ?? e?.cause?.code ?? '';
  const name = e?.name ?? 'Error';
  const detail = e?.cause?.message && e.cause.message !== e.message ? `${e?.message}: ${e.cause.message}` : (e?.message ?? String(error));
  const kind = name === 'AbortError' || name === 'TimeoutError' ? 'timeout' : NETWORK_CODES.test(code) ? 'network error' : 'error';
  // Anything thrown is retried: a bug or an outage is not a business refusal, and the 24 h deadline bounds it.
  return { kind: 'transient', error: truncate(`${kind}${code ? ` ${code}` : ''}: ${detail}`) };
}

/** @param now the clock's now, for Retry-After given as an HTTP-date. */
export function classifyOutcome(result: AttemptResult, now: number = Date.now()): DeliveryOutcome {
  if ('error' in result) return classifyError(result.error);
  const { status, body } = result;
  const envelope = errorEnvelope(body);
  const retryAfterMs = parseRetryAfter(headerValue(result.headers, 'retry-after'), now) ?? envelope?.retryAfterMs;
  const retry = (): DeliveryOutcome => ({
    kind: 'transient',
    status,
    error: describe(status, envelope, body),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    response: body,
  });
  const refuse = (): DeliveryOutcome => ({
    kind: 'business',
    status,
    error: describe(status, envelope, body),
    ...(envelope ? { code: envelope.code } : {}),
    response: body,
  });

  if (status >= 200 && status < 300) {
    // Bitrix answers some refusals with 200 and an error envelope; Telegram with ok:false.
    if (envelope?.system === 'bitrix') return BITRIX_TRANSIENT_CODES.has(envelope.code) ? retry() : refuse();
    if (envelope?.system === 'telegram') return refuse();
    return { kind: 'delivered', status, response: body };
  }
  // 408 request timeout, 425 too early, 429 rate limited; 412 is 1C's DataVersion conflict: re-read and retry.
  if (status === 408 || status === 425 || status === 429 || status === 412) return retry();
  if (status >= 500) {
    // 1C reports a business refusal (posting failed, wrong data) as 500 with odata.error.code "-1".
    if (envelope?.system === '1c' && envelope.code === '-1') return refuse();
    return retry();
  }
  if (envelope?.system === 'bitrix' && BITRIX_TRANSIENT_CODES.has(envelope.code)) return retry();
  // Other 4xx (validation, auth, not found, conflict) and unexpected 1xx/3xx: a human must look.
  return refuse();
}
