import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readOrCreateSecret } from '../runtime/secret-file';
import { StartupError } from '../errors';

/**
 * Encryption at rest of the shop's user tokens (AES-256-GCM).
 *
 * Keys: each master secret of TOKEN_ENCRYPTION_KEY is stretched with HKDF-SHA256 into the AES key
 * (and, separately, into a short key id), so the secret itself is never used as a key and the
 * same secret can serve other purposes under other HKDF labels. TOKEN_ENCRYPTION_KEY holds one
 * or more secrets, comma-separated, the FIRST one current: `new-secret,old-secret`, or with
 * explicit ids `2027a:new-secret,2026b:old-secret`. Values are written with the current key and
 * read with whichever key their id names, so a rotation is: put the new secret first, keep the
 * old one until rotateTokens() (or normal re-logins) have re-encrypted everything, then drop it.
 *
 * Stored value: `v1:<key id>:<iv base64url>:<ciphertext‖tag base64url>`, a fresh random 12-byte
 * IV per value. Additional authenticated data binds a value to its row (the Telegram user), so a
 * ciphertext copied onto another user's row does not decrypt.
 */
export const TOKEN_FORMAT_VERSION = 'v1';
const HKDF_SALT = 'spareparts-mw/token-vault';
const HKDF_INFO_KEY = 'aes-256-gcm/user_links.token_ciphertext/v1';
const HKDF_INFO_ID = 'key-id/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** 32 characters: 128 bits even for a hex secret; `openssl rand -hex 32` gives 64. */
export const MIN_SECRET_LENGTH = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const STORED = /^v1:([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;

export interface TokenKey {
  readonly id: string;
  /** The derived AES-256 key. */
  readonly key: Buffer;
}

export type TokenDecryptFailure = 'malformed' | 'unknown-key' | 'authentication-failed';

/** A stored value that cannot be decrypted: not ours, a key that is no longer configured, or tampered. */
export class TokenDecryptError extends Error {
  override readonly name = 'TokenDecryptError';
  constructor(
    readonly reason: TokenDecryptFailure,
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
  }
}

function derive(secret: string, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), HKDF_SALT, info, length));
}

/** The key id a secret gets when none is given: a fingerprint that reveals nothing about the key. */
export function derivedKeyId(secret: string): string {
  return `k${derive(secret, HKDF_INFO_ID, 6).toString('base64url')}`;
}

export function tokenKeyFromSecret(secret: string, id?: string): TokenKey {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new RangeError(`a token encryption secret must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`);
  }
  const keyId = id ?? derivedKeyId(secret);
  if (!KEY_ID.test(keyId)) throw new RangeError(`token key id "${keyId}" must be 1–32 characters A–Z, a–z, 0–9, _ or -`);
  return { id: keyId, key: derive(secret, HKDF_INFO_KEY, 32) };
}

export interface DecryptedToken {
  readonly plaintext: string;
  readonly keyId: string;
  /** Encrypted with an older key: re-encrypt it with the current one. */
  readonly stale: boolean;
}

/** The configured keys, the first one current. */
export class TokenKeyRing {
  private readonly byId = new Map<string, TokenKey>();
  readonly current: TokenKey;

  constructor(keys: readonly TokenKey[]) {
    if (!keys.length) throw new RangeError('the token key ring needs at least one key');
    for (const k of keys) {
      if (this.byId.has(k.id)) throw new RangeError(`token key id "${k.id}" is configured twice`);
      this.byId.set(k.id, k);
    }
    this.current = keys[0];
  }

  /**
   * Parses TOKEN_ENCRYPTION_KEY: secrets separated by commas (or newlines), each optionally
   * `<id>:<secret>`; the first is current. Secrets should not contain ":" or "," (hex and
   * base64 never do).
   */
  static parse(spec: string): TokenKeyRing {
    const entries = spec
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (!entries.length) throw new RangeError('TOKEN_ENCRYPTION_KEY holds no secret');
    return new TokenKeyRing(
      entries.map((entry) => {
        const m = /^([A-Za-z0-9_-]{1,32}):(.+)$/.exec(entry);
        return m ? tokenKeyFromSecret(m[2], m[1]) : tokenKeyFromSecret(entry);
      }),
    );
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Encrypts with the current key; `aad` ties the value to its context (the row's user). */
  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${TOKEN_FORMAT_VERSION}:${this.current.id}:${iv.toString('base64url')}:${data.toString('base64url')}`;
  }

  /** Throws TokenDecryptError when the value is not ours, its key is unknown, or it was altered. */
  decrypt(stored: string, aad: string): DecryptedToken {
    const m = STORED.exec(stored);
    if (!m) throw new TokenDecryptError('malformed', 'the stored token is not in the v1 format');
    const [, keyId, ivText, dataText] = m;
    const key = this.byId.get(keyId);
    if (!key) throw new TokenDecryptError('unknown-key', `the stored token was encrypted with key "${keyId}", which is not configured in TOKEN_ENCRYPTION_KEY`, keyId);
    const data = Buffer.from(dataText, 'base64url');
    if (data.length < TAG_BYTES) throw new TokenDecryptError('malformed', 'the stored token is truncated', keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(ivText, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plaintext = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      return { plaintext, keyId, stale: keyId !== this.current.id };
    } catch {
      throw new TokenDecryptError('authentication-failed', `the stored token does not authenticate under key "${keyId}" (wrong secret for this id, or altered)`, keyId);
    }
  }
}

/** The key id of a stored value without decrypting it (rotation queries). */
export function keyIdOf(stored: string): string | undefined {
  return STORED.exec(stored)?.[1];
}

export const TOKEN_KEY_FILE = 'token-encryption-key';

/**
 * The master secret(s) for the token vault: TOKEN_ENCRYPTION_KEY when configured; otherwise, outside
 * production, a secret generated on first start and kept under the data folder (mode 0600), like
 * the credential secret. Production refuses to start without the variable: a key file beside the
 * database backup would make encryption at rest pointless. Losing the generated file only means
 * linked users log in with Telegram again.
 */
export async function resolveTokenKey(dataDir: string, configured?: string, options: { production?: boolean } = {}): Promise<string> {
  if (configured?.trim()) {
    try {
      TokenKeyRing.parse(configured);
    } catch (error) {
      throw new StartupError(`TOKEN_ENCRYPTION_KEY is not usable: ${(error as Error).message}`, 'set it to one or more secrets of at least 32 characters, the current one first (openssl rand -hex 32)', { cause: error });
    }
    return configured.trim();
  }
  if (options.production) {
    throw new StartupError('TOKEN_ENCRYPTION_KEY is not set', 'production needs a fixed secret to encrypt the shop tokens of linked users; set it to the output of `openssl rand -hex 32`');
  }
  return (await readOrCreateSecret(dataDir, TOKEN_KEY_FILE, { hint: 'delete it to generate a new development key, or set TOKEN_ENCRYPTION_KEY' })).secret;
}
