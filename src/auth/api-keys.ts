import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Named API keys of integrations (1C, Bitrix24, partners), from an environment variable such as
 * INTEGRATION_API_KEYS="ut10:secret1,b24:secret2". Several keys may share a name (rotation:
 * `b24:new,b24:old`). The caller becomes the principal `key:<name>`.
 *
 * Presented keys are compared as SHA-256 digests with timingSafeEqual against EVERY configured
 * key, without stopping at the first match, so neither the length of a key nor which key matched
 * shows in the response time.
 */
export const API_KEY_NAME = /^[a-z0-9][a-z0-9_.-]{0,31}$/;
export const MIN_API_KEY_LENGTH = 16;

export interface ApiKeyEntry {
  readonly name: string;
  readonly digest: Buffer;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class ApiKeyRing {
  private constructor(private readonly entries: readonly ApiKeyEntry[]) {}

  /**
   * Parses `name:secret` pairs separated by commas, semicolons or newlines. Throws RangeError with
   * a message naming the bad entry by position (never echoing a secret).
   */
  static parse(spec: string | undefined): ApiKeyRing {
    const entries: ApiKeyEntry[] = [];
    const seen = new Set<string>();
    const parts = (spec ?? '')
      .split(/[,;\n]/)
      .map((s) => s.trim())
      .filter(Boolean);
    parts.forEach((part, i) => {
      const colon = part.indexOf(':');
      const name = colon > 0 ? part.slice(0, colon).trim().toLowerCase() : '';
      const secret = colon > 0 ? part.slice(colon + 1).trim() : '';
      if (!API_KEY_NAME.test(name)) throw new RangeError(`API key #${i + 1}: expected "name:secret" with a name of a–z, 0–9, _ . - (up to 32)`);
      if (secret.length < MIN_API_KEY_LENGTH) throw new RangeError(`API key #${i + 1} (${name}): the secret must be at least ${MIN_API_KEY_LENGTH} characters`);
      if (/\s/.test(secret)) throw new RangeError(`API key #${i + 1} (${name}): the secret must not contain spaces`);
      if (seen.has(secret)) throw new RangeError(`API key #${i + 1} (${name}): the same secret is configured twice`);
      seen.add(secret);
      entries.push({ name, digest: digest(secret) });
    });
    return new ApiKeyRing(entries);
  }

  get size(): number {
    return this.entries.length;
  }

  get names(): string[] {
    return [...new Set(this.entries.map((e) => e.name))];
  }

  /** The name of the key presented, or undefined. */
  match(presented: string | undefined): string | undefined {
    if (typeof presented !== 'string' || presented === '' || presented.length > 1024) return undefined;
    const given = digest(presented);
    let found: string | undefined;
    for (const entry of this.entries) {
      // Every entry is compared, whether or not one matched already.
      if (timingSafeEqual(given, entry.digest) && found === undefined) found = entry.name;
    }
    return found;
  }
}

/** A header value or the first of repeated ones. */
function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() || undefined : undefined;
}

/** `Authorization: Bearer <token>` (scheme case-insensitive), else undefined. */
export function bearerToken(headers: Record<string, unknown> | undefined): string | undefined {
  const auth = headerValue(headers, 'authorization');
  const m = auth ? /^Bearer[ \t]+(\S+)\s*$/i.exec(auth) : null;
  return m?.[1];
}

/** The API key of a request: `X-Api-Key`, else a bearer token. */
export function presentedApiKey(headers: Record<string, unknown> | undefined): string | undefined {
  return headerValue(headers, 'x-api-key') ?? bearerToken(headers);
}
