import type { Request } from 'express';
import type { ShopClock } from './clock';
import { invalidArgument, invalidToken, ShopError } from './errors';
import { signJwt, verifyJwt } from './jwt';
import { isRecord } from './params';
import { checkTelegramLogin, type TelegramLoginData } from './telegram';
import type { ShopCounters, ShopUser } from './types';

export const TOKEN_HEADER = 'x-user-token';
export const TOKEN_TTL_S = 30 * 24 * 3600;
export const TOKEN_ISSUER = 'shop-sandbox';

export interface LoginResult {
  token: string;
  userId: number;
  expiresAt: string;
}

/**
 * Shop users (created on their first Telegram login) and their JWTs:
 * HS256, `sub` = shop user id (string, as RFC 7519 wants), `tg` = Telegram id, `exp` = 30 days.
 */
export class UserStore {
  private readonly users = new Map<number, ShopUser>();
  private readonly byTelegram = new Map<number, ShopUser>();
  private nextId = 1001;

  constructor(
    private readonly clock: ShopClock,
    private readonly jwtSecret: string,
    private readonly botToken: string,
    private readonly counters: ShopCounters,
  ) {}

  all(): ShopUser[] {
    return [...this.users.values()];
  }

  get(id: number): ShopUser | undefined {
    return this.users.get(id);
  }

  byTelegramId(telegramId: number): ShopUser | undefined {
    return this.byTelegram.get(telegramId);
  }

  clear(): void {
    this.users.clear();
    this.byTelegram.clear();
    this.nextId = 1001;
  }

  /** `auth.telegram`: verifies the Login Widget data, creates the user on first login, issues a token. */
  loginWithTelegram(body: unknown): LoginResult {
    const data = parseLoginData(body);
    const check = checkTelegramLogin(data, this.botToken, this.clock.nowSeconds());
    if (!check.ok) {
      this.counters.loginFailures++;
      throw new ShopError(401, check.code, check.description);
    }
    return this.login(data);
  }

  /** Logs a Telegram user in without checking a hash (the sandbox's test knob). */
  login(data: Omit<TelegramLoginData, 'hash' | 'auth_date'>): LoginResult {
    const telegramId = Number(data.id);
    const at = this.clock.now().toISOString();
    let user = this.byTelegram.get(telegramId);
    if (!user) {
      user = {
        id: this.nextId++,
        telegramId,
        firstName: null,
        lastName: null,
        username: null,
        photoUrl: null,
        createdAt: at,
        lastLoginAt: at,
      };
      this.users.set(user.id, user);
      this.byTelegram.set(telegramId, user);
      this.counters.usersCreated++;
    }
    user.firstName = str(data.first_name) ?? user.firstName;
    user.lastName = str(data.last_name) ?? user.lastName;
    user.username = str(data.username) ?? user.username;
    user.photoUrl = str(data.photo_url) ?? user.photoUrl;
    user.lastLoginAt = at;
    this.counters.logins++;
    const iat = this.clock.nowSeconds();
    const exp = iat + TOKEN_TTL_S;
    const token = signJwt({ iss: TOKEN_ISSUER, sub: String(user.id), tg: telegramId, iat, exp }, this.jwtSecret);
    return { token, userId: user.id, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** The user of `X-User-Token`, or 401 INVALID_TOKEN (missing, malformed, forged, expired, unknown user). */
  authenticate(req: Request): ShopUser {
    const header = req.headers[TOKEN_HEADER];
    const token = (Array.isArray(header) ? header[0] : header)?.trim();
    if (!token) return this.fail('X-User-Token header is required');
    const verified = verifyJwt(token, this.jwtSecret, this.clock.nowSeconds());
    if (!verified.ok) return this.fail(`The access token provided is invalid: ${verified.reason}`);
    const user = this.users.get(Number(verified.claims.sub));
    if (!user || user.telegramId !== verified.claims.tg) return this.fail('The access token provided is invalid: unknown user');
    return user;
  }

  /** The user when a token is sent, undefined when none is (the token must still be valid). */
  optional(req: Request): ShopUser | undefined {
    return req.headers[TOKEN_HEADER] === undefined ? undefined : this.authenticate(req);
  }

  private fail(description: string): never {
    this.counters.tokenFailures++;
    throw invalidToken(description);
  }
}

function parseLoginData(body: unknown): TelegramLoginData {
  if (!isRecord(body)) throw invalidArgument('Telegram login data is required');
  const id = body.id;
  if (!(typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id))) || !Number.isSafeInteger(Number(id)) || Number(id) <= 0) {
    throw invalidArgument('Parameter "id" (Telegram user id) is required');
  }
  const authDate = body.auth_date;
  if (!(typeof authDate === 'number' || (typeof authDate === 'string' && /^\d+$/.test(authDate)))) {
    throw invalidArgument('Parameter "auth_date" (Unix time) is required');
  }
  if (typeof body.hash !== 'string' || body.hash === '') throw invalidArgument('Parameter "hash" is required');
  for (const [key, value] of Object.entries(body)) {
    if (value !== null && typeof value === 'object') throw invalidArgument(`Parameter "${key}" must be a scalar`);
  }
  return body as TelegramLoginData;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
