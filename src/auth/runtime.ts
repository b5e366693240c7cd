import type { Knex } from 'knex';
import { StartupError } from '../errors';
import type { MiddlewareServices } from '../runtime/services';
import type { Job } from '../runtime/jobs';
import { ApiKeyRing } from './api-keys';
import { MsgUser } from './msg-user';
import { API_SESSIONS_TABLE, DEFAULT_SESSION_TTL_S, hashSessionToken, isSessionTokenShape, pruneExpiredSessions, SessionStore } from './session';
import { DEFAULT_TELEGRAM_MAX_AGE_S } from './telegram-login';
import { resolveTokenKey, TokenKeyRing } from './token-keys';
import { TokenVault, USER_LINKS_TABLE } from './token-vault';

type Env = Readonly<Record<string, string | undefined>>;

/** The auth part of the environment (README table "Auth"). */
export interface AuthSettings {
  /** TOKEN_ENCRYPTION_KEY: master secret(s) of the token vault, current first. */
  readonly tokenEncryptionKey: string | undefined;
  /** AUTH_SESSION_TTL: lifetime of the middleware's access tokens, seconds (default 7 days). */
  readonly sessionTtlSeconds: number;
  /** TELEGRAM_LOGIN_MAX_AGE: how old Login Widget data may be, seconds (default 86400). */
  readonly telegramLoginMaxAgeSeconds: number;
  /** TELEGRAM_BOT_TOKEN: the bot whose Login Widget signs the data. */
  readonly botToken: string | undefined;
  /** INTEGRATION_API_KEYS: `name:secret,…` for the mw-auth node's api-key mode. */
  readonly integrationApiKeys: string | undefined;
}

function seconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const m = /^(\d+)\s*([smhd]?)$/.exec(raw);
  const n = m ? Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new StartupError(`${name}="${raw}" is not a duration between ${min} and ${max} seconds`, `use seconds or a number with s, m, h or d (e.g. 7d)`);
  }
  return n;
}

/** Parses and checks the auth variables; a bad value stops start-up with one line. */
export function loadAuthSettings(env: Env = process.env): AuthSettings {
  const settings: AuthSettings = {
    tokenEncryptionKey: env.TOKEN_ENCRYPTION_KEY?.trim() || undefined,
    sessionTtlSeconds: seconds(env, 'AUTH_SESSION_TTL', DEFAULT_SESSION_TTL_S, 60, 90 * 86_400),
    telegramLoginMaxAgeSeconds: seconds(env, 'TELEGRAM_LOGIN_MAX_AGE', DEFAULT_TELEGRAM_MAX_AGE_S, 30, 86_400),
    botToken: env.TELEGRAM_BOT_TOKEN?.trim() || undefined,
    integrationApiKeys: env.INTEGRATION_API_KEYS?.trim() || undefined,
  };
  try {
    ApiKeyRing.parse(settings.integrationApiKeys);
  } catch (error) {
    throw new StartupError(`INTEGRATION_API_KEYS: ${(error as Error).message}`, 'use "name:secret,name2:secret2" (secrets of at least 16 characters)', { cause: error });
  }
  return settings;
}

/**
 * The auth services of one process: the token vault, the session store and the settings, built
 * once. Nodes get it through their mw-config (services.auth when the entry point provides it,
 * else built from the environment on first use, see authRuntimeFor).
 */
export interface AuthRuntime {
  readonly db: Knex;
  readonly settings: AuthSettings;
  readonly keys: TokenKeyRing;
  readonly vault: TokenVault;
  readonly sessions: SessionStore;
  /**
   * A bearer session token → the user with the decrypted shop token, in one primary-key join;
   * undefined when the token is unknown, revoked or expired, or the shop token has expired.
   * Throws TokenDecryptError when the stored token cannot be decrypted (configuration problem).
   */
  authenticateSession(token: string): Promise<MsgUser | undefined>;
  /** A Telegram user → msg.user: linked with the decrypted token, or `linked: false`. */
  telegramUser(telegramUserId: number): Promise<MsgUser>;
}

export interface CreateAuthRuntimeOptions {
  readonly db: Knex;
  readonly dataDir: string;
  readonly env?: Env;
  readonly production?: boolean;
  readonly now?: () => Date;
  /** Settings already parsed (tests); default loadAuthSettings(env). */
  readonly settings?: AuthSettings;
  readonly onRotateError?: (error: unknown) => void;
}

export async function createAuthRuntime(options: CreateAuthRuntimeOptions): Promise<AuthRuntime> {
  const settings = options.settings ?? loadAuthSettings(options.env ?? process.env);
  const secret = await resolveTokenKey(options.dataDir, settings.tokenEncryptionKey, { production: options.production });
  const keys = TokenKeyRing.parse(secret);
  const vault = new TokenVault(options.db, keys, { now: options.now, onRotateError: options.onRotateError });
  const sessions = new SessionStore(options.db, { ttlSeconds: settings.sessionTtlSeconds, now: options.now });
  const now = options.now ?? (() => new Date());
  const db = options.db;

  return {
    db,
    settings,
    keys,
    vault,
    sessions,
    async authenticateSession(token) {
      if (!isSessionTokenShape(token)) return undefined;
      const row = (await db(`${API_SESSIONS_TABLE} as s`)
        .join(`${USER_LINKS_TABLE} as l`, 'l.telegram_user_id', 's.telegram_user_id')
        .select('s.telegram_user_id', 'l.shop_user_id', 'l.token_ciphertext', 'l.token_expires_at')
        .where('s.token_hash', hashSessionToken(token))
        .andWhere('s.expires_at', '>', now())
        .first()) as { telegram_user_id: string | number; shop_user_id: string; token_ciphertext: string; token_expires_at: Date | null } | undefined;
      if (!row) return undefined;
      const id = Number(row.telegram_user_id);
      const credentials = vault.credentialsFromRow(id, row.shop_user_id, row.token_ciphertext, row.token_expires_at);
      if (!credentials) return undefined;
      return new MsgUser({ telegramUserId: id, linked: true, shopUserId: credentials.shopUserId, shopToken: credentials.shopToken });
    },
    async telegramUser(telegramUserId) {
      const credentials = await vault.getShopCredentials(telegramUserId);
      return credentials
        ? new MsgUser({ telegramUserId, linked: true, shopUserId: credentials.shopUserId, shopToken: credentials.shopToken })
        : new MsgUser({ telegramUserId, linked: false });
    },
  };
}

/** Where the entry point may put a ready AuthRuntime in the services it hands to Node-RED. */
export const AUTH_SERVICE_KEY = 'auth';

export type ServicesWithAuth = MiddlewareServices & { readonly [AUTH_SERVICE_KEY]?: AuthRuntime };

const built = new WeakMap<object, Promise<AuthRuntime>>();

/**
 * The AuthRuntime for nodes: `services.auth` when the entry point provides one, else one built
 * from the process environment and the data folder, once per services object. (Each node bundle
 * has its own copy of this module, so without services.auth each bundle builds its own; they
 * share the database and the key, so that is only a little memory.)
 */
export function authRuntimeFor(services: MiddlewareServices): Promise<AuthRuntime> {
  const provided = (services as ServicesWithAuth)[AUTH_SERVICE_KEY];
  if (provided) return Promise.resolve(provided);
  let runtime = built.get(services);
  if (!runtime) {
    runtime = createAuthRuntime({
      db: services.db,
      dataDir: services.config.dataDir,
      production: services.config.env === 'production',
      onRotateError: (err) => services.log.warn({ err }, 're-encrypting a shop token with the current key failed'),
    });
    // A failed build (bad TOKEN_ENCRYPTION_KEY) is retried on the next message, not cached.
    runtime.catch(() => built.delete(services));
    built.set(services, runtime);
  }
  return runtime;
}

const HOUR = 3_600_000;

/** Add to HOUSEKEEPING_JOBS (src/runtime/housekeeping.ts). */
export const AUTH_HOUSEKEEPING_JOBS: readonly Job[] = [{ name: 'auth-sessions-prune', everyMs: HOUR, run: (db, now) => pruneExpiredSessions(db, now) }];
