import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { checkTelegramUserId } from './token-vault';

/**
 * The middleware's own access token for API v1 callers (web clients, bot flows), issued after a
 * Telegram login. The shop's JWT never leaves the middleware; callers only ever hold this.
 *
 * Why an opaque random token stored hashed (api_sessions), not a self-contained HS256 JWT:
 * - Revocation: logout and unlink must end access at once, on every instance. A JWT stays valid
 *   until `exp` unless we keep a deny-list in the database, which costs the same lookup and
 *   adds a second mechanism.
 * - The lookup is free in practice: every authenticated request needs the user's encrypted shop
 *   token from user_links anyway, and the session check is the same single primary-key join.
 * - No signing key to manage or rotate, no algorithm-confusion class of bugs, no claims to leak:
 *   the token carries nothing but 256 random bits.
 * - Only SHA-256 of the token is stored: a database dump gives no usable token. (A plain hash
 *   is enough: 256-bit random tokens cannot be brute-forced, so no salt or slow hash is needed.)
 */
export const API_SESSIONS_TABLE = 'api_sessions';
/** Recognisable by secret scanners and in logs ("mw access token"), never confused with a JWT. */
export const SESSION_TOKEN_PREFIX = 'mwat_';
const TOKEN_SHAPE = /^mwat_[A-Za-z0-9_-]{43}$/;
export const DEFAULT_SESSION_TTL_S = 7 * 86_400;

export interface IssuedSession {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  /** Seconds from now. */
  readonly expires_in: number;
  readonly expires_at: string;
}

export interface SessionInfo {
  readonly telegramUserId: number;
  readonly expiresAt: Date;
}

export interface SessionStoreOptions {
  readonly ttlSeconds?: number;
  readonly now?: () => Date;
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Cheap shape check before any database work: garbage bearer values never reach a query. */
export function isSessionTokenShape(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_SHAPE.test(token);
}

export class SessionStore {
  readonly ttlSeconds: number;
  private readonly now: () => Date;

  constructor(
    private readonly db: Knex,
    options: SessionStoreOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_SESSION_TTL_S;
    if (!Number.isInteger(this.ttlSeconds) || this.ttlSeconds < 60) throw new RangeError('session TTL must be a whole number of seconds, at least 60');
    this.now = options.now ?? (() => new Date());
  }

  /**
   * A new session for a linked user. `notAfter` caps its life (the shop token's expiry: a
   * session must not outlive the credentials it stands for). The user must be linked
   * (user_links row), which the foreign key enforces.
   */
  async issueSession(telegramUserId: number, options: { notAfter?: Date | null } = {}): Promise<IssuedSession> {
    const id = checkTelegramUserId(telegramUserId);
    const now = this.now();
    let expiresAt = new Date(now.getTime() + this.ttlSeconds * 1000);
    if (options.notAfter && options.notAfter < expiresAt) expiresAt = options.notAfter;
    const expiresIn = Math.floor((expiresAt.getTime() - now.getTime()) / 1000);
    if (expiresIn <= 0) throw new RangeError('issueSession: the credentials behind this session have already expired');
    const token = `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    await this.db(API_SESSIONS_TABLE).insert({ token_hash: hashSessionToken(token), telegram_user_id: id, created_at: now, expires_at: expiresAt });
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, expires_at: expiresAt.toISOString() };
  }

  /** The session's user, or undefined for an unknown, revoked, malformed or expired token. */
  async verifySession(token: string): Promise<SessionInfo | undefined> {
    if (!isSessionTokenShape(token)) return undefined;
    const row = (await this.db(API_SESSIONS_TABLE)
      .select('telegram_user_id', 'expires_at')
      .where({ token_hash: hashSessionToken(token) })
      .andWhere('expires_at', '>', this.now())
      .first()) as { telegram_user_id: string | number; expires_at: Date } | undefined;
    return row ? { telegramUserId: Number(row.telegram_user_id), expiresAt: row.expires_at } : undefined;
  }

  /** Logout: the token stops working everywhere at once. True when it existed. */
  async revokeSession(token: string): Promise<boolean> {
    if (!isSessionTokenShape(token)) return false;
    return (await this.db(API_SESSIONS_TABLE).where({ token_hash: hashSessionToken(token) }).delete()) > 0;
  }

  /** Ends every session of a user (e.g. "log me out everywhere"). */
  async revokeAll(telegramUserId: number): Promise<number> {
    return this.db(API_SESSIONS_TABLE).where({ telegram_user_id: checkTelegramUserId(telegramUserId) }).delete();
  }
}

/** Housekeeping: deletes expired sessions; returns how many. */
export async function pruneExpiredSessions(db: Knex, now: Date = new Date()): Promise<number> {
  return db(API_SESSIONS_TABLE).where('expires_at', '<=', now).delete();
}
