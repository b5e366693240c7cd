import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing for MQTT device credentials: node:crypto scrypt with a random salt per password.
 *
 * Encoded form (one self-describing string, stored in `mqtt_devices.password_hash`):
 *
 *     scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>
 *
 * The cost parameters travel with each hash, so raising them later only affects new hashes and
 * old ones keep verifying (see `needsRehash`).
 */

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/** 2^14 / 8 / 1: the usual interactive-login cost, 16 MiB and ~30–60 ms per hash on a server core. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ N: 16384, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PREFIX = 'scrypt';

// Upper bounds for parameters read back from storage, so a corrupted or hostile row cannot make
// one verification allocate gigabytes or spin for minutes.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

export interface ParsedHash extends ScryptParams {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function deriveKey(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // Node's default maxmem is 32 MiB; scrypt needs about 128·N·r bytes, give it twice that.
    maxmem: Math.max(32 * 1024 * 1024, 256 * params.N * params.r),
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function checkParams(params: ScryptParams): void {
  const { N, r, p } = params;
  const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_N) throw new RangeError(`scrypt N must be a power of two from 2 to ${MAX_N}, got ${N}`);
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) throw new RangeError(`scrypt r must be 1..${MAX_R}, got ${r}`);
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) throw new RangeError(`scrypt p must be 1..${MAX_P}, got ${p}`);
}

function parseInteger(text: string): number {
  return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : NaN;
}

/** Parses an encoded hash; undefined when it is not one of ours (wrong scheme, bad fields, bounds). */
export function parsePasswordHash(encoded: string): ParsedHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const params = { N: parseInteger(parts[1]), r: parseInteger(parts[2]), p: parseInteger(parts[3]) };
  try {
    checkParams(params);
  } catch {
    return undefined;
  }
  const salt = Buffer.from(parts[4], 'base64url');
  const hash = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8 || hash.length < 16 || hash.length > 128) return undefined;
  return { ...params, salt, hash };
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(password, salt, KEY_BYTES, params);
  return [PREFIX, params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/**
 * True when `password` matches `encoded`. The comparison is constant-time; an unparseable hash
 * never matches (it is not an error: a damaged row must lock the device out, not crash the broker).
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return false;
  const candidate = await deriveKey(password, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when the hash was made with other parameters than `params` (or is not ours at all). */
export function needsRehash(encoded: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const parsed = parsePasswordHash(encoded);
  return !parsed || parsed.N !== params.N || parsed.r !== params.r || parsed.p !== params.p;
}
