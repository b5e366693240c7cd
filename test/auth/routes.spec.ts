import assert from 'node:assert/strict';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import oasSchema from '../validation/fixtures/oas-3.1-schema-2022-10-07.json';
import type { Knex } from 'knex';
import { createShopSandbox, signTelegramLogin, type ShopSandbox } from '../../sandbox/shop';
import { authRouter, describeAuthOperations } from '../../src/auth/routes';
import { createAuthRuntime, type AuthRuntime } from '../../src/auth/runtime';
import { correlationMiddleware } from '../../src/http/correlation';
import { errorHandler, notFoundHandler } from '../../src/http/errors-handler';
import { createLogger } from '../../src/log';
import { apiOperations, buildOpenApiDocument } from '../../src/validation/openapi';
import { validate } from '../../src/validation/validate';
import { createTestDatabase } from '../support/postgres';
import { shopExchange } from './shop-exchange';

const BOT = '7000000042:AAH-auth-routes-spec-bot-token-00000';

/** As in test/validation/openapi.spec.ts: the published OAS 3.1 schema, its #meta $dynamicRef inlined. */
function withoutDynamicRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDynamicRefs);
  if (!node || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  if (record.$dynamicRef === '#meta') return { type: ['object', 'boolean'] };
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, withoutDynamicRefs(v)]));
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

describe('auth API routes (Express, shop sandbox, PostgreSQL)', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  let shop: ShopSandbox;
  let runtime: AuthRuntime;
  let server: http.Server;
  let base: string;

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_auth_routes'));
    shop = createShopSandbox({ botToken: BOT });
    await shop.start();
    runtime = await createAuthRuntime({ db, dataDir: '/nonexistent', env: { TOKEN_ENCRYPTION_KEY: 'q'.repeat(48), TELEGRAM_BOT_TOKEN: BOT } });
    const app = express();
    app.set('trust proxy', true);
    app.use(correlationMiddleware);
    app.use(authRouter({ runtime, exchange: shopExchange(() => shop.url), log: createLogger('silent'), loginRateLimit: { rate: 1 / 60, burst: 5 } }));
    app.use(notFoundHandler);
    app.use(errorHandler(createLogger('silent')));
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await shop.stop();
    await drop();
  });
  beforeEach(async () => {
    shop.reset();
    shop.clearRequests();
    await db('user_links').delete();
    await db('rate_limit_buckets').delete();
  });

  async function call(method: string, path: string, options: { body?: unknown; token?: string; ip?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'x-forwarded-for': options.ip ?? '10.0.0.1', 'x-correlation-id': 'corr-auth-1' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  it('POST /api/v1/auth/telegram logs in and returns the access token (contract auth-session, no-store)', async () => {
    const res = await call('POST', '/api/v1/auth/telegram', { body: shop.signTelegramLogin({ id: 31337, first_name: 'Иван', username: 'ivan' }) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(validate('auth-session', res.body), { ok: true });
    assert.equal(res.body.telegram_user_id, 31337);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('x-correlation-id'), 'corr-auth-1');
    const user = await runtime.authenticateSession(res.body.access_token);
    assert.equal(user?.shopToken, await runtime.vault.getShopToken(31337));
  });

  it('answers forged data with 401 problem+json, WWW-Authenticate and the reason', async () => {
    const widget = shop.signTelegramLogin({ id: 31337, first_name: 'Иван' });
    const res = await call('POST', '/api/v1/auth/telegram', { body: { ...widget, first_name: 'Пётр' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"');
    assert.deepEqual(
      { code: res.body.code, reason: res.body.reason, instance: res.body.instance, correlation_id: res.body.correlation_id },
      { code: 'UNAUTHORIZED', reason: 'invalid_hash', instance: '/api/v1/auth/telegram', correlation_id: 'corr-auth-1' },
    );
    assert.match(res.body.detail, /hash does not match/);
    const stale = await call('POST', '/api/v1/auth/telegram', { body: signTelegramLogin({ id: 1, first_name: 'A', auth_date: Math.floor(Date.now() / 1000) - 2 * 86_400 } as never, BOT) });
    assert.deepEqual([stale.status, stale.body.reason], [401, 'auth_date_expired']);
  });

  it('validates the body against the auth-telegram contract (every field in errors[]) and bad JSON', async () => {
    const res = await call('POST', '/api/v1/auth/telegram', { body: { id: -1, first_name: 'A', hash: 'nothex' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    const pointers = (res.body.errors as { pointer: string }[]).map((e) => e.pointer).sort();
    assert.ok(pointers.includes('/id') && pointers.includes('/hash') && pointers.some((p) => p === '' || p === '/auth_date'), JSON.stringify(res.body.errors));
    const bad = await call('POST', '/api/v1/auth/telegram', { body: '{"id":' });
    assert.deepEqual([bad.status, bad.body.code], [400, 'MALFORMED_JSON']);
    assert.equal(shop.requests.length, 0);
  });

  it('limits login attempts per address (429 with Retry-After)', async () => {
    const widget = shop.signTelegramLogin({ id: 1, first_name: 'A' });
    for (let i = 0; i < 5; i++) assert.equal((await call('POST', '/api/v1/auth/telegram', { body: { ...widget, first_name: 'X' }, ip: '10.9.9.9' })).status, 401);
    const limited = await call('POST', '/api/v1/auth/telegram', { body: widget, ip: '10.9.9.9' });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await call('POST', '/api/v1/auth/telegram', { body: widget, ip: '10.9.9.10' })).status, 200);
  });

  it('DELETE /api/v1/auth/session logs out at once; DELETE /api/v1/auth/link forgets the user', async () => {
    const a = (await call('POST', '/api/v1/auth/telegram', { body: shop.signTelegramLogin({ id: 777, first_name: 'A' }) })).body.access_token as string;
    const b = (await call('POST', '/api/v1/auth/telegram', { body: shop.signTelegramLogin({ id: 777, first_name: 'A' }) })).body.access_token as string;
    assert.equal((await call('DELETE', '/api/v1/auth/session', { token: a })).status, 204);
    assert.equal(await runtime.sessions.verifySession(a), undefined);
    assert.equal((await call('DELETE', '/api/v1/auth/session', { token: a })).status, 204, 'logging out twice is fine');
    const noToken = await call('DELETE', '/api/v1/auth/session');
    assert.deepEqual([noToken.status, noToken.body.code, noToken.headers.get('www-authenticate')], [401, 'UNAUTHORIZED', 'Bearer realm="api"']);

    assert.equal((await call('DELETE', '/api/v1/auth/link', { token: a })).status, 401, 'a revoked token cannot unlink');
    assert.equal((await call('DELETE', '/api/v1/auth/link', { token: b })).status, 204);
    assert.equal(await runtime.vault.getLink(777), undefined);
    assert.equal(await runtime.sessions.verifySession(b), undefined);
  });

  it('describes the endpoints in the OpenAPI document', () => {
    describeAuthOperations();
    const doc = buildOpenApiDocument({ operations: apiOperations.list().filter((op) => op.path.startsWith('/api/v1/auth/')) });
    const login = doc.paths['/api/v1/auth/telegram'].post as Record<string, any>;
    assert.equal(login.operationId, 'loginWithTelegram');
    assert.deepEqual(login.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/AuthTelegram' });
    assert.deepEqual(login.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/AuthSession' });
    assert.ok(!JSON.stringify(login.parameters).includes('IdempotencyKey'), 'login is not behind Idempotency-Key (see describeAuthOperations)');
    assert.deepEqual(login.responses['401'].content['application/problem+json'].schema.properties.code.enum, ['UNAUTHORIZED']);
    assert.ok(login.responses['429'] && login.responses['503'] && login.responses['504']);
    assert.deepEqual((doc.paths['/api/v1/auth/session'].delete as Record<string, any>).security, [{ apiToken: [] }]);
    assert.ok(doc.paths['/api/v1/auth/link'].delete);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addFormat('media-range', true);
    const check = ajv.compile(withoutDynamicRefs(oasSchema) as object);
    assert.ok(check(doc), JSON.stringify(check.errors));
  });
});
