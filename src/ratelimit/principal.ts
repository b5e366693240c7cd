import { createHash } from 'node:crypto';
import { MAX_KEY_LENGTH } from './token-bucket';

/**
 * The bucket key of a principal: `<prefix><value>`, e.g. `tg:123456`, `device:scanner-001`,
 * `ip:1.2.3.4`. Secrets (API tokens) are hashed so the table never holds a usable credential;
 * over-long values are hashed too, to fit the key column.
 */
export function principalKey(prefix: string, value: unknown, options: { hash?: boolean } = {}): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined;
  if (!text) return undefined;
  const plain = `${prefix}${text}`;
  if (!options.hash && plain.length <= MAX_KEY_LENGTH) return plain;
  return `${prefix}sha256:${createHash('sha256').update(text).digest('base64url')}`;
}
