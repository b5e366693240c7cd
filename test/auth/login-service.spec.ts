import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createShopSandbox, signTelegramLogin, type ShopSandbox } from '../../sandbox/shop';
import { loginWithTelegram, shopExchangeProblem, type LoginDependencies } from '../../src/auth/login-service';
import { SessionStore } from '../../src/auth/session';
import { TokenKeyRing } from '../../src/auth/token-keys';
import { TokenVault } from '../../src/auth/token-vault';
import { ProblemError } from '../../src/http/problem-builder';
import { createTestDatabase } from '../support/postgres';
import { shopExchange } from './shop-exchange';

const BOT = '7000000042:AAH-login-service-spec-bot-token-000';
const T0 = new Date('2026-11-26T12:00:00.000Z');
const T0_S = T0.getTime() / 1000;

function problem(code: string, status: number, reason?: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ProblemError, `not a ProblemError: ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.status, status);
    if (reason !== undefined) assert.equal(e.extra?.reason, reason);
    return true;
  };
}

describe('login with Telegram (service, shop sandbox, PostgreSQL)', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  let shop: ShopSandbox;
  let nowMs = T0.getTime();
  const now = () => new Date(nowMs);
  const warnings: unknown[][] = [];
  let deps: LoginDependencies;

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_auth_login'));
    shop = createShopSandbox({ botToken: BOT, now });
    await shop.start();
  });
  after(async () => {
    await shop.stop();
    await drop();
  });
  beforeEach(async () => {
    nowMs = T0.getTime();
    shop.reset();
    shop.setFaults({});
    shop.clearRequests();
    warnings.length = 0;
    await db('user_links').delete();
    deps = {
      botToken: BOT,
      exchange: shopExchange(() => shop.url),
      vault: new TokenVault(db, TokenKeyRing.parse('v'.repeat(48)), { now }),
      sessions: new SessionStore(db, { now, ttlSeconds: 7 * 86_400 }),
      now,
      log: { warn: (...args: unknown[]) => void warnings.push(args), error: () => undefined } as never,
    };
  });

  it('verifies, exchanges with the shop, keeps the shop token encrypted and returns only our token', async () => {
    const widget = shop.signTelegramLogin({ id: 123456789, first_name: 'Иван', last_name: 'Петров', username: 'ivan_master' });
    const result = await loginWithTelegram(widget, deps);

    assert.deepEqual(Object.keys(result).sort(), ['access_token', 'expires_at', 'expires_in', 'telegram_user_id', 'token_type']);
    assert.equal(result.telegram_user_id, 123456789);
    assert.equal(result.token_type, 'Bearer');
    assert.equal(result.expires_in, 7 * 86_400, 'our TTL, shorter than the shop token (30 days)');
    assert.match(result.access_token, /^mwat_/);

    const shopUser = shop.userByTelegramId(123456789);
    assert.ok(shopUser, 'the shop created the user');
    assert.equal(shop.counters.logins, 1);
    const shopToken = await deps.vault.getShopToken(123456789);
    assert.ok(shopToken);
    assert.ok(!JSON.stringify(result).includes(shopToken), 'the shop JWT never leaves the middleware');
    const link = await deps.vault.getLink(123456789);
    assert.equal(link?.shopUserId, String(shopUser.id));
    assert.equal(link?.tokenExpiresAt?.getTime(), T0.getTime() + 30 * 86_400_000);
    assert.deepEqual([link?.firstName, link?.username], ['Иван', 'ivan_master']);
    const { rows } = await db.raw<{ rows: { row: string }[] }>('select row_to_json(u)::text as row from user_links u');
    assert.ok(!rows[0].row.includes(shopToken) && !rows[0].row.includes('Петров'), 'no plaintext token, no last name');

    // The stored token is the shop's real one: it opens the user's account.
    const current = await fetch(`${shop.url}/rest/v1/user.current`, { headers: { 'x-user-token': shopToken } });
    assert.equal(current.status, 200);
    assert.equal(((await current.json()) as { result: { telegramId: number } }).result.telegramId, 123456789);

    assert.deepEqual(await deps.sessions.verifySession(result.access_token), { telegramUserId: 123456789, expiresAt: new Date(result.expires_at) });
  });

  it('hands the correlation id to the exchange', async () => {
    const seen: unknown[] = [];
    const exchange = deps.exchange;
    await loginWithTelegram(shop.signTelegramLogin({ id: 43, first_name: 'A' }), {
      ...deps,
      correlationId: 'corr-login-1',
      exchange: (data, ctx) => {
        seen.push(ctx);
        return exchange(data, ctx);
      },
    });
    assert.deepEqual(seen, [{ correlationId: 'corr-login-1' }]);
  });

  it('a second login replaces the shop token and gives a new access token; the first keeps working', async () => {
    const first = await loginWithTelegram(shop.signTelegramLogin({ id: 42, first_name: 'A' }), deps);
    const token1 = await deps.vault.getShopToken(42);
    nowMs += 60_000;
    const second = await loginWithTelegram(shop.signTelegramLogin({ id: 42, first_name: 'A' }), deps);
    assert.notEqual(second.access_token, first.access_token);
    assert.notEqual(await deps.vault.getShopToken(42), token1);
    assert.equal(shop.users.length, 1);
    assert.ok(await deps.sessions.verifySession(first.access_token));
  });

  it('refuses forged data with 401 invalid_hash before calling the shop', async () => {
    const widget = shop.signTelegramLogin({ id: 1, first_name: 'A' });
    await assert.rejects(loginWithTelegram({ ...widget, id: 2 }, deps), problem('UNAUTHORIZED', 401, 'invalid_hash'));
    const otherBot = signTelegramLogin({ id: 1, first_name: 'A', auth_date: T0_S } as never, 'some-other-bot:token');
    await assert.rejects(loginWithTelegram(otherBot, deps), (e: unknown) => problem('UNAUTHORIZED', 401, 'invalid_hash')(e) && /hash does not match/.test((e as Error).message));
    assert.equal(shop.requests.length, 0);
    assert.equal(await deps.vault.getLink(1), undefined);
  });

  it('refuses stale and future data with 401 and a clear detail', async () => {
    const stale = signTelegramLogin({ id: 1, first_name: 'A', auth_date: T0_S - 2 * 86_400 } as never, BOT);
    await assert.rejects(loginWithTelegram(stale, deps), (e: unknown) => problem('UNAUTHORIZED', 401, 'auth_date_expired')(e) && /older than one day; log in with Telegram again/.test((e as Error).message));
    await assert.rejects(loginWithTelegram(stale, { ...deps, maxAgeSeconds: 3 * 86_400 }), problem('UNAUTHORIZED', 401, 'shop_refused'), 'our limit is looser than the shop: it refuses');
    const future = signTelegramLogin({ id: 1, first_name: 'A', auth_date: T0_S + 3600 } as never, BOT);
    await assert.rejects(loginWithTelegram(future, deps), problem('UNAUTHORIZED', 401, 'auth_date_in_future'));
  });

  it('answers a non-widget payload with VALIDATION_FAILED naming the field', async () => {
    await assert.rejects(loginWithTelegram({ id: 'x', hash: 'y' }, deps), (e: unknown) => {
      problem('VALIDATION_FAILED', 400)(e);
      assert.deepEqual((e as ProblemError).errors, [{ pointer: '/id', message: '"id" must be a positive integer (the Telegram user id)' }]);
      return true;
    });
  });

  it('the shop refusing data we accepted is 401 shop_refused and a warning for operators (bot token mismatch)', async () => {
    const mismatched = { ...deps, botToken: 'another-bot:token-we-think-is-right' };
    const widget = signTelegramLogin({ id: 7, first_name: 'A', auth_date: T0_S } as never, mismatched.botToken);
    await assert.rejects(loginWithTelegram(widget, mismatched), problem('UNAUTHORIZED', 401, 'shop_refused'));
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0][1]), /same bot token/);
    assert.equal(await deps.vault.getLink(7), undefined);
  });

  it('a shop outage is 503 UPSTREAM_UNAVAILABLE, a slow shop 504, and nothing is linked', async () => {
    shop.setFaults({ outage: true });
    await assert.rejects(loginWithTelegram(shop.signTelegramLogin({ id: 8, first_name: 'A' }), deps), problem('UPSTREAM_UNAVAILABLE', 503));
    shop.setFaults({ latencyMs: 500 });
    await assert.rejects(
      loginWithTelegram(shop.signTelegramLogin({ id: 8, first_name: 'A' }), { ...deps, exchange: shopExchange(() => shop.url, { timeoutMs: 100 }) }),
      problem('UPSTREAM_TIMEOUT', 504),
    );
    shop.setFaults({});
    await assert.rejects(loginWithTelegram(shop.signTelegramLogin({ id: 8, first_name: 'A' }), { ...deps, exchange: shopExchange(() => 'http://127.0.0.1:1') }), problem('UPSTREAM_UNAVAILABLE', 503));
    assert.equal(await deps.vault.getLink(8), undefined);
  });

  it('an unexpected shop answer is not trusted', async () => {
    const widget = shop.signTelegramLogin({ id: 9, first_name: 'A' });
    for (const answer of [{}, { token: '', userId: 1 }, { token: 't', userId: null }, { token: 't', userId: 1, expiresAt: 'never' }]) {
      await assert.rejects(loginWithTelegram(widget, { ...deps, exchange: async () => answer as never }), problem('UPSTREAM_UNAVAILABLE', 503));
    }
    await assert.rejects(
      loginWithTelegram(widget, { ...deps, exchange: async () => ({ token: 't', userId: 1, expiresAt: new Date(T0.getTime() - 1000).toISOString() }) }),
      problem('UPSTREAM_BUSINESS_ERROR', 422),
    );
  });

  it('maps shop client errors by status', () => {
    assert.equal(shopExchangeProblem({ status: 400 }).code, 'UPSTREAM_BUSINESS_ERROR');
    assert.equal(shopExchangeProblem({ statusCode: 429 }).code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(shopExchangeProblem({ response: { status: 403 } }).code, 'UNAUTHORIZED');
    assert.equal(shopExchangeProblem(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })).code, 'UPSTREAM_TIMEOUT');
    // src/shop's ShopError shapes.
    assert.equal(shopExchangeProblem({ shopErrorKind: 'business', httpStatus: 401, shopCode: 'INVALID_HASH' }).code, 'UNAUTHORIZED');
    assert.equal(shopExchangeProblem({ shopErrorKind: 'unavailable', reason: 'timeout' }).code, 'UPSTREAM_TIMEOUT');
    assert.equal(shopExchangeProblem({ shopErrorKind: 'unavailable', reason: 'breaker_open' }).code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(shopExchangeProblem({ shopErrorKind: 'unavailable', reason: 'http_status', httpStatus: 503 }).code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(shopExchangeProblem({ status: 504 }).code, 'UPSTREAM_TIMEOUT');
    const own = new ProblemError('CONFLICT', 'as the client decided');
    assert.equal(shopExchangeProblem(own), own);
  });
});
