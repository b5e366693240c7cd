import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Telegram Login Widget data and its check, exactly as Telegram documents it
 * (https://core.telegram.org/widgets/login#checking-authorization): the data-check-string is
 * every received field except `hash`, as `key=value`, sorted by key, joined by "\n"; the secret
 * key is SHA-256(bot token); `hash` is the hex HMAC-SHA-256 of the string under that key.
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

/** auth_date older than this is refused (Telegram's advice: a day at most). */
export const TELEGRAM_AUTH_MAX_AGE_S = 86_400;
/** auth_date this far in the future is refused as forged or a broken clock. */
export const TELEGRAM_AUTH_MAX_SKEW_S = 300;

export function dataCheckString(data: Record<string, unknown>): string {
  return Object.keys(data)
    .filter((key) => key !== 'hash' && data[key] !== undefined && data[key] !== null)
    .sort()
    .map((key) => `${key}=${String(data[key])}`)
    .join('\n');
}

export function telegramHash(data: Record<string, unknown>, botToken: string): string {
  const secret = createHash('sha256').update(botToken).digest();
  return createHmac('sha256', secret).update(dataCheckString(data)).digest('hex');
}

/** Adds the `hash` Telegram would put on these fields: for tests and the bot's own login. */
export function signTelegramLogin(data: Omit<TelegramLoginData, 'hash'>, botToken: string): TelegramLoginData {
  return { ...data, hash: telegramHash(data, botToken) } as TelegramLoginData;
}

export type TelegramCheck = { ok: true } | { ok: false; code: 'INVALID_HASH' | 'AUTH_DATE_EXPIRED'; description: string };

export function checkTelegramLogin(data: TelegramLoginData, botToken: string, nowSeconds: number): TelegramCheck {
  const expected = Buffer.from(telegramHash(data, botToken), 'hex');
  const given = /^[0-9a-f]{64}$/i.test(data.hash) ? Buffer.from(data.hash, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, code: 'INVALID_HASH', description: 'Telegram login data hash does not match' };
  }
  const authDate = Number(data.auth_date);
  if (nowSeconds - authDate > TELEGRAM_AUTH_MAX_AGE_S) {
    return { ok: false, code: 'AUTH_DATE_EXPIRED', description: 'Telegram login data is older than one day' };
  }
  if (authDate - nowSeconds > TELEGRAM_AUTH_MAX_SKEW_S) {
    return { ok: false, code: 'AUTH_DATE_EXPIRED', description: 'Telegram login auth_date is in the future' };
  }
  return { ok: true };
}
