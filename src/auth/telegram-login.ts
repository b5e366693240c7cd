import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Telegram Login Widget data check (https://core.telegram.org/widgets/login#checking-authorization),
 * pure and clock-injectable:
 * - data-check-string: every received field except `hash`, as `key=value`, sorted by key, joined by "\n";
 * - secret key: SHA-256(bot token); `hash` = hex HMAC-SHA-256(data-check-string) under that key,
 *   compared in constant time;
 * - `auth_date` (Unix seconds) at most `maxAgeSeconds` old and not further ahead than the skew.
 *
 * The same widget data reaches us as JSON numbers (the widget's JS object) or as strings (the
 * query string of a bot's `login_url` button); both hash the same, so both are accepted.
 */
export interface TelegramLoginData {
  id: number | string;
  first_name?: string;
  last_name?: string;
  username?: string;
  photo_url?: string;
  auth_date: number | string;
  hash: string;
  [field: string]: unknown;
}

/** The verified Telegram user. */
export interface TelegramUser {
  readonly id: number;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly username?: string;
  readonly photoUrl?: string;
  readonly authDate: Date;
}

export type TelegramLoginErrorCode =
  /** The payload is not Login Widget data (missing or ill-typed id, auth_date, hash, odd fields). */
  | 'MALFORMED'
  /** The hash does not match: forged or altered data, or signed for another bot. */
  | 'BAD_HASH'
  /** auth_date is older than the allowed age. */
  | 'STALE'
  /** auth_date is in the future beyond the allowed clock skew. */
  | 'FUTURE';

export class TelegramLoginError extends Error {
  override readonly name = 'TelegramLoginError';
  constructor(
    readonly code: TelegramLoginErrorCode,
    message: string,
    /** The offending field, for validation-style answers (MALFORMED only). */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Telegram's advice: a day at most; flows may choose less (e.g. an hour for web logins). */
export const DEFAULT_TELEGRAM_MAX_AGE_S = 86_400;
/** Same tolerance as the shop: what we accept, the shop accepts too. */
export const DEFAULT_TELEGRAM_MAX_SKEW_S = 300;

export interface TelegramLoginOptions {
  readonly botToken: string;
  readonly maxAgeSeconds?: number;
  readonly maxFutureSkewSeconds?: number;
  readonly now?: () => Date;
}

export type TelegramLoginCheck = { ok: true; user: TelegramUser } | { ok: false; error: TelegramLoginError };

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const HASH = /^[0-9a-f]{64}$/i;
const DIGITS = /^[1-9][0-9]{0,15}$/;
const MAX_FIELDS = 20;
const MAX_VALUE_LENGTH = 2048;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fields that take part in the hash (undefined and null are absent, as in Telegram's own check). */
function signedEntries(data: Record<string, unknown>): [string, unknown][] {
  return Object.entries(data).filter(([key, value]) => key !== 'hash' && value !== undefined && value !== null);
}

export function telegramDataCheckString(data: Record<string, unknown>): string {
  return signedEntries(data)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n');
}

/** The hex `hash` Telegram puts on these fields for this bot (tests, and the bot's own links). */
export function telegramLoginHash(data: Record<string, unknown>, botToken: string): string {
  const secret = createHash('sha256').update(botToken, 'utf8').digest();
  return createHmac('sha256', secret).update(telegramDataCheckString(data), 'utf8').digest('hex');
}

function positiveInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value === 'string' && DIGITS.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function malformed(message: string, field?: string): TelegramLoginCheck {
  return { ok: false, error: new TelegramLoginError('MALFORMED', message, field) };
}

/**
 * Checks Login Widget data; never throws for bad input (only for a missing bot token, which is a
 * configuration error). The hash is checked before freshness, so forged data is reported as
 * forged whatever its date says.
 */
export function checkTelegramLogin(data: unknown, options: TelegramLoginOptions): TelegramLoginCheck {
  if (typeof options.botToken !== 'string' || options.botToken === '') {
    throw new TypeError('checkTelegramLogin: the bot token is not configured');
  }
  if (!isRecord(data)) return malformed('Telegram login data must be an object');
  const entries = signedEntries(data);
  if (entries.length > MAX_FIELDS) return malformed(`Telegram login data has more than ${MAX_FIELDS} fields`);
  for (const [key, value] of entries) {
    // The data-check-string joins `key=value` lines: a key with "=" or a newline could forge a line.
    if (!FIELD_NAME.test(key)) return malformed(`unexpected field "${key.slice(0, 64)}"`, key);
    if (!(typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
      return malformed(`field "${key}" must be a string or a number`, key);
    }
    if (typeof value === 'string' && value.length > MAX_VALUE_LENGTH) return malformed(`field "${key}" is too long`, key);
  }
  const id = positiveInteger(data.id);
  if (id === undefined) return malformed('"id" must be a positive integer (the Telegram user id)', 'id');
  const authDate = positiveInteger(data.auth_date);
  if (authDate === undefined) return malformed('"auth_date" must be Unix time in seconds', 'auth_date');
  if (typeof data.hash !== 'string' || !HASH.test(data.hash)) return malformed('"hash" must be 64 hex digits', 'hash');

  const expected = Buffer.from(telegramLoginHash(data, options.botToken), 'hex');
  const given = Buffer.from(data.hash, 'hex');
  if (!timingSafeEqual(given, expected)) {
    return { ok: false, error: new TelegramLoginError('BAD_HASH', 'The Telegram login data is not signed by our bot (hash mismatch).') };
  }

  const nowSeconds = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const maxAge = options.maxAgeSeconds ?? DEFAULT_TELEGRAM_MAX_AGE_S;
  const skew = options.maxFutureSkewSeconds ?? DEFAULT_TELEGRAM_MAX_SKEW_S;
  if (nowSeconds - authDate > maxAge) {
    return { ok: false, error: new TelegramLoginError('STALE', `The Telegram login data is older than ${describeSeconds(maxAge)}; log in with Telegram again.`) };
  }
  if (authDate - nowSeconds > skew) {
    return { ok: false, error: new TelegramLoginError('FUTURE', 'The Telegram login auth_date is in the future; check the clock and log in again.') };
  }
  return {
    ok: true,
    user: {
      id,
      firstName: optionalText(data.first_name),
      lastName: optionalText(data.last_name),
      username: optionalText(data.username),
      photoUrl: optionalText(data.photo_url),
      authDate: new Date(authDate * 1000),
    },
  };
}

/** As checkTelegramLogin, throwing the TelegramLoginError. */
export function verifyTelegramLogin(data: unknown, options: TelegramLoginOptions): TelegramUser {
  const check = checkTelegramLogin(data, options);
  if (!check.ok) throw check.error;
  return check.user;
}

function describeSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'one day' : `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return seconds === 3_600 ? 'one hour' : `${seconds / 3_600} hours`;
  if (seconds % 60 === 0) return `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}
