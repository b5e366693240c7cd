import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { apiV1RuntimeFor, describeApiV1Operations, startApiV1Runtime, type ApiV1Runtime } from '../../src/api';
import { validate } from '../../src/validation/validate';
import { signTelegramLogin } from '../../sandbox/shop';
import type { TestRuntime } from '../support/runtime';

/**
 * Helpers of the API v1 runtime specs (test/runtime/api-v1-*.spec.ts): logging masters in through
 * POST /api/v1/auth/telegram, calling the API with their session token, and driving the shop
 * sandbox through its HTTP control routes (/__sandbox/…), as a test in another process would.
 */

export type Problem = {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  correlation_id?: string;
  errors?: { pointer: string; message: string }[];
  shop_error?: string;
  [key: string]: unknown;
};

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface ApiUser {
  readonly telegramId: number;
  readonly token: string;
}

/**
 * The API v1 parts the server is to wire (describeApiV1Operations, the queued-order worker):
 * the spec starts them itself when the server did not, and stops what it started.
 */
export async function ensureApiV1(rt: TestRuntime): Promise<{ runtime: ApiV1Runtime; release: () => Promise<void> }> {
  describeApiV1Operations();
  const existing = apiV1RuntimeFor(rt.mw.services.db);
  const runtime = existing ?? startApiV1Runtime(rt.mw.services, { pollMs: 500 });
  return { runtime, release: async () => (existing ? undefined : runtime.stop()) };
}

// Logins are limited per IP address (10 a minute): each login comes from its own loopback address.
let nextAddress = 20 + (process.pid % 100);

function postFrom(localAddress: string, url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** A master logged in with Telegram Login Widget data signed with the bot token (shop account linked). */
export async function loginUser(rt: TestRuntime, telegramId: number, firstName = 'Мастер'): Promise<ApiUser> {
  const botToken = process.env.TELEGRAM_BOT_TOKEN;
  assert.ok(botToken, 'TELEGRAM_BOT_TOKEN is set by the demo sandboxes');
  const data = signTelegramLogin({ id: telegramId, first_name: firstName, auth_date: Math.floor(Date.now() / 1000) }, botToken);
  const address = `127.0.0.${(nextAddress++ % 200) + 20}`;
  const res = await postFrom(address, `${rt.baseUrl}/api/v1/auth/telegram`, data);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { telegramId, token: (res.body as { access_token: string }).access_token };
}

async function reply<T>(res: Response): Promise<Reply<T>> {
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}

export interface Api {
  get<T = unknown>(path: string, headers?: Record<string, string>): Promise<Reply<T>>;
  send<T = unknown>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  /** POST with a fresh Idempotency-Key unless one is given (null: none). */
  post<T = unknown>(path: string, body: unknown, key?: string | null, headers?: Record<string, string>): Promise<Reply<T>>;
}

/** Calls the API as `user` (or anonymously with null). */
export function apiAs(rt: TestRuntime, user: ApiUser | null): Api {
  const auth: Record<string, string> = user ? { authorization: `Bearer ${user.token}` } : {};
  const api: Api = {
    get: async (path, headers = {}) => reply(await fetch(`${rt.baseUrl}${path}`, { headers: { ...auth, ...headers } })),
    send: async (method, path, body, headers = {}) =>
      reply(
        await fetch(`${rt.baseUrl}${path}`, {
          method,
          headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        }),
      ),
    post: (path, body, key, headers = {}) => api.send('POST', path, body, { ...(key === null ? {} : { 'idempotency-key': key ?? randomUUID() }), ...headers }),
  };
  return api;
}

/** Asserts a problem+json answer with this status and code; returns the problem. */
export function assertProblem(res: Reply, status: number, code: string): Problem {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const problem = res.body as Problem;
  assert.equal(problem.code, code, res.text);
  assert.equal(problem.status, status);
  assert.ok(problem.type && problem.title, 'RFC 9457 type and title');
  assert.ok(problem.correlation_id, 'correlation_id');
  assert.equal(res.headers.get('x-correlation-id'), problem.correlation_id);
  return problem;
}

/** Asserts the body matches the contract (contracts/schemas/<name>.json). */
export function assertContract(name: string, body: unknown): void {
  const result = validate(name, body);
  assert.deepEqual(result, { ok: true }, `${name}: ${JSON.stringify(result)} in ${JSON.stringify(body).slice(0, 2000)}`);
}

// ── the shop sandbox, through its control routes ─────────────────────────────────────
export interface SandboxOrder {
  id: number;
  number: string;
  userId: number;
  externalId: string | null;
  status: string;
  items: { id: number; productId: number; quantity: number }[];
}

export function shopControl(rt: TestRuntime) {
  const base = rt.sandboxes.urls.shop;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return (text ? (JSON.parse(text) as { result?: T }).result ?? (JSON.parse(text) as T) : undefined) as T;
  };
  return {
    /** The harness's fault plan: `{outage: true}` makes every shop call fail with 503. */
    faults: (plan: Record<string, unknown>) => call('POST', '/__sandbox/faults', plan),
    setStock: (productId: number, store: string, quantity: number) => call('POST', '/__sandbox/shop/stock', { productId, store, quantity }),
    orders: () => call<SandboxOrder[]>('GET', '/__sandbox/shop/orders'),
    advance: (ref: string | number, status: string) => call('POST', `/__sandbox/shop/orders/${ref}/advance`, { status }),
    resolveReturn: (ref: string | number, status: 'accepted' | 'rejected', comment?: string) => call('POST', `/__sandbox/shop/returns/${ref}/resolve`, { status, comment }),
    product: (id: number) => call<{ id: number; quantity: number; stock: Record<string, number> }>('GET', `/rest/v1/catalog.product.get?id=${id}`),
  };
}

/** Takes the shop down (every call 503) and makes the middleware notice (catalog sync fails → degraded). */
export async function shopDown(rt: TestRuntime): Promise<void> {
  await shopControl(rt).faults({ outage: true });
  await rt.mw.services.catalog?.syncer?.syncNow();
}

/**
 * Brings the shop back. The shop client's breaker may be open after the outage; a real trial call
 * would close it after its cool-down (15 s): close it now, as that successful trial would, then
 * let the catalog sync see the shop answer (degraded → false).
 */
export async function shopUp(rt: TestRuntime): Promise<void> {
  await shopControl(rt).faults({});
  rt.mw.services.catalog?.client?.breaker.recordSuccess();
  await rt.mw.services.catalog?.syncer?.syncNow();
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Catalog items in stock (from the API itself), for carts and orders; waits for the first catalog index. */
export async function itemsInStock(api: Api, q = 'дисплей', n = 5): Promise<number[]> {
  return waitFor(`${n} items in stock for "${q}"`, async () => {
    const res = await api.get<{ items: { id: number; in_stock: boolean; stock_total: number }[] }>(`/api/v1/catalog/search?q=${encodeURIComponent(q)}&limit=50`);
    assert.equal(res.status, 200, res.text);
    const ids = res.body.items.filter((i) => i.in_stock && i.stock_total >= 3).map((i) => i.id);
    return ids.length >= n ? ids.slice(0, n) : undefined;
  }, 30_000, 250);
}
