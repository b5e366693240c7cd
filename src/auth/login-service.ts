import { ProblemError } from '../http/problem-builder';
import type { Logger } from '../log';
import type { IssuedSession, SessionStore } from './session';
import { checkTelegramLogin, TelegramLoginError, type TelegramLoginData } from './telegram-login';
import type { TokenVault } from './token-vault';

/**
 * What the shop client's Telegram login returns (Bitrix `auth.telegram` → {token, userId, expiresAt}).
 * The exchange gets the widget data exactly as received: the shop checks the same hash.
 */
export interface ShopLogin {
  readonly token: string;
  readonly userId: string | number;
  readonly expiresAt?: string | Date | null;
}

/** Passed to the exchange so the shop call is journaled under the caller's request. */
export interface ExchangeContext {
  readonly correlationId?: string;
}

/** Fits ShopClient.loginTelegram: `(data, ctx) => shop.loginTelegram(data, ctx)`. */
export type ShopLoginExchange = (data: TelegramLoginData, context: ExchangeContext) => Promise<ShopLogin>;

export interface LoginDependencies {
  /** The bot the Login Widget is configured for (the shop checks with the same token). */
  readonly botToken: string;
  /** The shop client's `loginTelegram`; injected so this module does not depend on the client. */
  readonly exchange: ShopLoginExchange;
  readonly vault: TokenVault;
  readonly sessions: SessionStore;
  readonly maxAgeSeconds?: number;
  readonly maxFutureSkewSeconds?: number;
  readonly now?: () => Date;
  readonly log?: Pick<Logger, 'warn' | 'error'>;
  /** The request's X-Correlation-Id, handed to the exchange. */
  readonly correlationId?: string;
}

/** The body of a successful POST /api/v1/auth/telegram (contracts/schemas/auth-session.json). */
export interface LoginResult extends IssuedSession {
  readonly telegram_user_id: number;
}

/** Why a login was refused, as the `reason` member of the 401 problem (for the client's UX). */
export type LoginRefusal = 'invalid_hash' | 'auth_date_expired' | 'auth_date_in_future' | 'shop_refused';

/** The problem for a failed widget check: 401 with a clear detail, or 400 for non-widget payloads. */
export function telegramLoginProblem(error: TelegramLoginError): ProblemError {
  switch (error.code) {
    case 'MALFORMED':
      return new ProblemError('VALIDATION_FAILED', 'The body is not Telegram Login Widget data.', {
        errors: [{ pointer: error.field ? `/${error.field.replace(/~/g, '~0').replace(/\//g, '~1')}` : '', message: error.message }],
      });
    case 'BAD_HASH':
      return new ProblemError('UNAUTHORIZED', 'The Telegram login data is not valid: its hash does not match (altered data, or a widget of another bot).', {
        extra: { reason: 'invalid_hash' satisfies LoginRefusal },
      });
    case 'STALE':
      return new ProblemError('UNAUTHORIZED', error.message, { extra: { reason: 'auth_date_expired' satisfies LoginRefusal } });
    case 'FUTURE':
      return new ProblemError('UNAUTHORIZED', error.message, { extra: { reason: 'auth_date_in_future' satisfies LoginRefusal } });
  }
}

interface ErrorShape {
  status?: unknown;
  statusCode?: unknown;
  /** src/shop ShopError. */
  httpStatus?: unknown;
  shopErrorKind?: unknown;
  reason?: unknown;
  response?: { status?: unknown };
  error?: unknown;
  name?: unknown;
  code?: unknown;
  cause?: unknown;
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function statusOf(e: ErrorShape): number | undefined {
  for (const s of [e.status, e.statusCode, e.httpStatus, e.response?.status]) if (typeof s === 'number') return s;
  return undefined;
}

function isTimeout(e: ErrorShape): boolean {
  const cause = (e.cause ?? {}) as ErrorShape;
  return (e.shopErrorKind === 'unavailable' && e.reason === 'timeout') || e.name === 'TimeoutError' || e.name === 'AbortError' || TIMEOUT_CODES.has(String(e.code)) || TIMEOUT_CODES.has(String(cause.code));
}

/**
 * The problem for a failed exchange with the shop. The shop's own description is never shown
 * (it is for logs); the client learns whether to log in again or to retry later.
 */
export function shopExchangeProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorShape;
  // Timeouts first: a shop client may tag a timeout with a status of its own (504).
  if (isTimeout(e) || statusOf(e) === 504) return new ProblemError('UPSTREAM_TIMEOUT', 'The web shop did not answer in time; try to log in again.', { cause: error });
  const status = statusOf(e);
  if (status === 401 || status === 403) {
    return new ProblemError('UNAUTHORIZED', 'The web shop refused the Telegram login; log in with Telegram again.', {
      extra: { reason: 'shop_refused' satisfies LoginRefusal },
      cause: error,
    });
  }
  if (status === 429 || (status !== undefined && status >= 500)) {
    return new ProblemError('UPSTREAM_UNAVAILABLE', 'The web shop is not available right now; try to log in again in a minute.', { cause: error });
  }
  if (status !== undefined && status >= 400) {
    return new ProblemError('UPSTREAM_BUSINESS_ERROR', 'The web shop refused the login.', { cause: error });
  }
  return new ProblemError('UPSTREAM_UNAVAILABLE', 'The web shop is not reachable right now; try to log in again in a minute.', { cause: error });
}

function checkShopLogin(value: unknown): ShopLogin {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const userIdOk = (typeof v.userId === 'string' && v.userId.trim() !== '') || (typeof v.userId === 'number' && Number.isFinite(v.userId));
  if (typeof v.token !== 'string' || v.token === '' || !userIdOk) {
    throw new ProblemError('UPSTREAM_UNAVAILABLE', 'The web shop answered the login with an unexpected response.');
  }
  const expiresAt = v.expiresAt;
  if (expiresAt !== undefined && expiresAt !== null && !(expiresAt instanceof Date) && (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt)))) {
    throw new ProblemError('UPSTREAM_UNAVAILABLE', 'The web shop answered the login with an unexpected expiry date.');
  }
  return { token: v.token, userId: v.userId as string | number, expiresAt: expiresAt as ShopLogin['expiresAt'] };
}

/**
 * Telegram login: verify the widget data → exchange it for the shop's user token → keep that
 * token encrypted (user_links) → issue the middleware's own session token, which is all the
 * caller gets. Throws ProblemError (401 bad hash / stale data, 400 malformed, 503/504 shop down).
 */
export async function loginWithTelegram(widgetData: unknown, deps: LoginDependencies): Promise<LoginResult> {
  const check = checkTelegramLogin(widgetData, {
    botToken: deps.botToken,
    maxAgeSeconds: deps.maxAgeSeconds,
    maxFutureSkewSeconds: deps.maxFutureSkewSeconds,
    now: deps.now,
  });
  if (!check.ok) throw telegramLoginProblem(check.error);
  const user = check.user;

  let shop: ShopLogin;
  try {
    shop = checkShopLogin(await deps.exchange(widgetData as TelegramLoginData, { correlationId: deps.correlationId }));
  } catch (error) {
    const problem = shopExchangeProblem(error);
    if (problem.code === 'UNAUTHORIZED') {
      // We verified the hash and the date ourselves: the shop disagreeing means the two sides
      // use different bot tokens or clocks. Operators must hear about it.
      deps.log?.warn({ err: error, telegramUserId: user.id }, 'the shop refused Telegram login data the middleware accepted: check that both use the same bot token and clock');
    }
    throw problem;
  }

  const link = await deps.vault.linkUser({
    telegramUserId: user.id,
    shopUserId: shop.userId,
    token: shop.token,
    expiresAt: shop.expiresAt,
    firstName: user.firstName,
    username: user.username,
  });
  let session: IssuedSession;
  try {
    session = await deps.sessions.issueSession(user.id, { notAfter: link.tokenExpiresAt });
  } catch (error) {
    if (error instanceof RangeError) throw new ProblemError('UPSTREAM_BUSINESS_ERROR', 'The web shop issued a token that has already expired.', { cause: error });
    throw error;
  }
  return { ...session, telegram_user_id: user.id };
}

export { TelegramLoginError };
