/**
 * The Idempotency-Key request header. The IETF draft defines it as a Structured Field string
 * (`Idempotency-Key: "8e03978e-…"`); most clients send the bare token, so both are accepted.
 */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const MAX_KEY_LENGTH = 255;

export type KeyParseResult =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly code: 'IDEMPOTENCY_KEY_MISSING' | 'IDEMPOTENCY_KEY_MALFORMED'; readonly reason: string };

// Visible ASCII only (0x21–0x7E): no spaces, no control characters, nothing that a log line or
// a proxy could rewrite. A header repeated twice arrives comma-joined with a space: malformed.
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** Unwraps an sf-string ("…" with \" and \\ escapes); returns undefined when it is not one. */
function unwrapSfString(raw: string): string | undefined {
  if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"')) return undefined;
  const inner = raw.slice(1, -1);
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '\\') {
      const next = inner[++i];
      if (next !== '"' && next !== '\\') return undefined;
      out += next;
    } else if (c === '"') {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

export function parseIdempotencyKey(header: string | readonly string[] | undefined): KeyParseResult {
  if (header === undefined) return { ok: false, code: 'IDEMPOTENCY_KEY_MISSING', reason: 'the Idempotency-Key header is required' };
  if (typeof header !== 'string') {
    return { ok: false, code: 'IDEMPOTENCY_KEY_MALFORMED', reason: 'the Idempotency-Key header must be sent once' };
  }
  const trimmed = header.trim();
  if (trimmed === '') return { ok: false, code: 'IDEMPOTENCY_KEY_MALFORMED', reason: 'the Idempotency-Key header is empty' };
  const key = unwrapSfString(trimmed) ?? trimmed;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    return { ok: false, code: 'IDEMPOTENCY_KEY_MALFORMED', reason: `the key must be 1–${MAX_KEY_LENGTH} characters long` };
  }
  if (!VISIBLE_ASCII.test(key)) {
    return { ok: false, code: 'IDEMPOTENCY_KEY_MALFORMED', reason: 'the key may contain visible ASCII characters only' };
  }
  return { ok: true, key };
}
