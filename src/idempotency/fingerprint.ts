import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the
 * same request. Array order is meaningful and kept; `undefined` members are dropped like
 * JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Buffer.isBuffer(value)) return JSON.stringify({ $bytes: value.toString('base64') });
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const toJson = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJson === 'function') return canonicalJson(toJson.call(value));
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What identifies "the same request" for one idempotency key. */
export interface RequestIdentity {
  readonly method: string;
  /** The concrete path (not the route pattern): /returns/1/reject and /returns/2/reject differ. */
  readonly path: string;
  readonly query?: Record<string, unknown>;
  readonly principal: string;
  readonly body: unknown;
}

/**
 * sha256 over method, path (+ query with sorted keys), principal and the canonical body.
 * Fields are length-prefixed so no two different requests can serialise to the same input.
 */
export function requestFingerprint(r: RequestIdentity): string {
  const query = r.query && Object.keys(r.query).length ? canonicalJson(r.query) : '';
  const body = r.body === undefined || r.body === '' ? '' : Buffer.isBuffer(r.body) ? `b:${sha256Hex(r.body)}` : `j:${canonicalJson(r.body)}`;
  const parts = [r.method.toUpperCase(), r.path, query, r.principal, body];
  return sha256Hex(parts.map((p) => `${p.length}:${p}`).join('|'));
}

/** Principals derived from secrets (user tokens) are stored hashed, never in clear. */
export function hashPrincipal(value: string): string {
  return `sha256:${sha256Hex(value)}`;
}
