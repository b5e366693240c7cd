import { randomUUID } from 'node:crypto';
import type { JournalBodyMode, JournalEntry } from '../journal/entry';
import type { Logger } from '../log';
import { CircuitBreaker, DEFAULT_BREAKER_OPTIONS, type BreakerOptions, type BreakerState } from '../outbound/circuit-breaker';
import { ShopBusinessError, ShopUnavailableError, type ShopError } from './errors';
import { compact, toSearchParams } from './params';
import type {
  ChangesParams,
  CreateOrderInput,
  CreateReturnInput,
  ProductListParams,
  ShopBasket,
  ShopBasketChange,
  ShopBasketItem,
  ShopListParams,
  ShopLoginResult,
  ShopOrder,
  ShopPage,
  ShopPrice,
  ShopProduct,
  ShopReturn,
  ShopStore,
  ShopStoreStock,
  ShopUser,
  TelegramWidgetData,
} from './types';

/** Bitrix list pages hold 50 rows. */
export const SHOP_PAGE_SIZE = 50;
export const DEFAULT_SHOP_TIMEOUT_MS = 10_000;
/** The shop is one destination: five straight failures open the breaker for 15 s (doubling up to 2 min). */
export const DEFAULT_SHOP_BREAKER: BreakerOptions = Object.freeze({ failureThreshold: 5, cooldownMs: 15_000, maxCooldownMs: 120_000 });

/** Where journal entries go: a JournalWriter (batched) or anything with write(). */
export interface JournalSink {
  write(entry: JournalEntry): void;
}

/** Who a method needs: nobody (catalog), the user (`X-User-Token`), or either (change feeds). */
export type ShopAuth = 'none' | 'user' | 'user_or_service';

export interface ShopMethodSpec {
  readonly verb: 'GET' | 'POST';
  readonly auth: ShopAuth;
  /** Changes state in the shop. */
  readonly write: boolean;
}

/** The shop's methods (sandbox/shop/README.md). */
export const SHOP_METHODS: Readonly<Record<string, ShopMethodSpec>> = Object.freeze({
  'catalog.product.list': { verb: 'GET', auth: 'none', write: false },
  'catalog.product.get': { verb: 'GET', auth: 'none', write: false },
  'catalog.price.get': { verb: 'GET', auth: 'none', write: false },
  'catalog.store.list': { verb: 'GET', auth: 'none', write: false },
  'catalog.store.product.list': { verb: 'GET', auth: 'none', write: false },
  'auth.telegram': { verb: 'POST', auth: 'none', write: true },
  'user.current': { verb: 'GET', auth: 'user', write: false },
  'sale.basket.list': { verb: 'GET', auth: 'user', write: false },
  'sale.basket.add': { verb: 'POST', auth: 'user', write: true },
  'sale.basket.update': { verb: 'POST', auth: 'user', write: true },
  'sale.basket.delete': { verb: 'POST', auth: 'user', write: true },
  'sale.basket.clear': { verb: 'POST', auth: 'user', write: true },
  'sale.order.create': { verb: 'POST', auth: 'user', write: true },
  'sale.order.list': { verb: 'GET', auth: 'user', write: false },
  'sale.order.get': { verb: 'GET', auth: 'user', write: false },
  'sale.order.cancel': { verb: 'POST', auth: 'user', write: true },
  'sale.order.changes': { verb: 'GET', auth: 'user_or_service', write: false },
  'sale.return.create': { verb: 'POST', auth: 'user', write: true },
  'sale.return.get': { verb: 'GET', auth: 'user', write: false },
  'sale.return.list': { verb: 'GET', auth: 'user', write: false },
  'sale.return.changes': { verb: 'GET', auth: 'user_or_service', write: false },
});

export interface ShopClientOptions {
  /** The shop: `http://host:port` (the API is then `/rest/v1`) or the REST base itself (`…/rest/v1`). */
  readonly baseUrl: string;
  /** `X-Api-Key` for the shop-wide change feeds. */
  readonly serviceKey?: string;
  /** Per call, unless the call context says otherwise. */
  readonly timeoutMs?: number;
  readonly breaker?: Partial<BreakerOptions>;
  /** Every exchange is journaled here (system `shop`, direction `out`, masked body). */
  readonly journal?: JournalSink | null;
  readonly journalSystem?: string;
  readonly log?: Pick<Logger, 'warn' | 'info' | 'debug'>;
  /** Breaker state goes to `outbound_circuit_state{destination="shop-api"}` (label: `metricsDestination`). */
  readonly metrics?: { setBreakerState(destination: string, state: BreakerState): void; recordOrderCreated?(paymentType: string): void };
  readonly metricsDestination?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/** Per call: who, how long, and the correlation id that ties the call to the user's request. */
export interface ShopCallContext {
  readonly correlationId?: string;
  /** The user's shop JWT (`X-User-Token`). */
  readonly userToken?: string;
  /** Cancels the call (e.g. the flow was stopped); not counted against the shop. */
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** How the journal keeps the body; default masked (bulky catalog pages: 'hash'). */
  readonly journalBody?: JournalBodyMode;
  /** Attempt number for the journal (a flow retrying a call). */
  readonly attempt?: number;
}

export interface ShopReply<T> {
  result: T;
  total?: number;
  next?: number;
  httpStatus: number;
  durationMs: number;
}

export type BreakerListener = (state: BreakerState, previous: BreakerState) => void;

/** `http://shop` → `http://shop/rest/v1`; a URL that already names `/rest/…` is kept. */
export function shopApiBase(url: string): string {
  const u = new URL(url);
  const trimmed = u.pathname.replace(/\/+$/, '');
  u.pathname = /\/rest(\/|$)/.test(trimmed) ? trimmed : `${trimmed}/rest/v1`;
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '');
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the journal keeps of the request: never the Login Widget hash (it is replayable for a day). */
function journalRequest(method: string, params: Record<string, unknown>): Record<string, unknown> {
  if (method === 'auth.telegram' && 'hash' in params) return { ...params, hash: '[скрыто]' };
  return params;
}

/**
 * Typed client of the company's 1C-Bitrix web shop API.
 *
 * - `X-User-Token` per call from the context; catalog methods are public; change feeds without a
 *   user token use the service key.
 * - A timeout per call (AbortSignal), one circuit breaker per client: after N transient failures
 *   calls fail fast with ShopUnavailableError('breaker_open') until a trial call succeeds.
 * - Errors: ShopUnavailableError (network, timeout, 5xx, 429, breaker open, not a Bitrix answer)
 *   and ShopBusinessError (a 4xx Bitrix refusal: OUT_OF_STOCK, EMPTY_BASKET, INVALID_TOKEN…).
 * - Every exchange is journaled: system `shop`, operation = Bitrix method, direction `out`,
 *   status ok / rejected (business) / error (unavailable) / skipped (breaker), masked body.
 * - No automatic retries: reads are cheap to repeat by the caller; writes must go through the
 *   durable outbound queue, and orders carry `externalId` so a repeat never duplicates.
 */
export class ShopClient {
  readonly apiBase: string;
  readonly breaker: CircuitBreaker;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly listeners = new Set<BreakerListener>();
  private journal: JournalSink | null;

  constructor(private readonly options: ShopClientOptions) {
    this.apiBase = shopApiBase(options.baseUrl);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SHOP_TIMEOUT_MS;
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.journal = options.journal ?? null;
    const merged = { ...DEFAULT_SHOP_BREAKER, ...options.breaker };
    const breakerOptions: BreakerOptions = {
      failureThreshold: merged.failureThreshold >= 1 ? Math.floor(merged.failureThreshold) : DEFAULT_BREAKER_OPTIONS.failureThreshold,
      cooldownMs: merged.cooldownMs > 0 ? merged.cooldownMs : DEFAULT_SHOP_BREAKER.cooldownMs,
      maxCooldownMs: Math.max(merged.maxCooldownMs, merged.cooldownMs > 0 ? merged.cooldownMs : DEFAULT_SHOP_BREAKER.cooldownMs),
    };
    this.breaker = new CircuitBreaker('shop', breakerOptions, (state, previous) => {
      options.metrics?.setBreakerState(options.metricsDestination ?? 'shop-api', state);
      options.log?.warn({ destination: 'shop', state, previous }, 'shop circuit breaker changed');
      for (const listener of this.listeners) {
        try {
          listener(state, previous);
        } catch {
          // a listener's bug must not break the call that changed the state
        }
      }
    });
    options.metrics?.setBreakerState(options.metricsDestination ?? 'shop-api', 'closed');
  }

  /** Replaces the journal sink (e.g. once the journal writer is available). */
  setJournal(journal: JournalSink | null): void {
    this.journal = journal;
  }

  get breakerState(): BreakerState {
    return this.breaker.stateAt(this.now());
  }

  /** Called on every breaker transition; returns the unsubscribe function. */
  onBreakerChange(listener: BreakerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ── generic call ────────────────────────────────────────────────────────────────────
  /**
   * Calls a shop method. Known methods use their verb and auth from SHOP_METHODS; unknown ones
   * are sent as GET (reads) unless `verb` says otherwise.
   */
  async call<T = unknown>(method: string, params: Record<string, unknown> = {}, ctx: ShopCallContext = {}, verb?: 'GET' | 'POST'): Promise<ShopReply<T>> {
    const spec: ShopMethodSpec = SHOP_METHODS[method] ?? { verb: verb ?? 'GET', auth: 'user_or_service', write: verb === 'POST' };
    const httpVerb = verb ?? spec.verb;
    const cleanParams = compact(params);
    const correlationId = ctx.correlationId ?? randomUUID();
    const started = this.now();
    const startedAt = new Date();
    const journalBody = ctx.journalBody ?? 'masked';
    const journal = (status: string, httpStatus: number | undefined, response: unknown, error?: unknown): void => {
      if (!this.journal) return;
      try {
        this.journal.write({
          ts: startedAt,
          correlationId,
          system: this.options.journalSystem ?? 'shop',
          operation: method,
          direction: 'out',
          status,
          httpStatus: httpStatus ?? null,
          attempt: ctx.attempt,
          durationMs: this.now() - started,
          body: { request: journalRequest(method, cleanParams), ...(response === undefined ? {} : { response }) },
          bodyMode: journalBody,
          error,
        });
      } catch {
        // journaling never fails a call
      }
    };

    if (spec.auth === 'user' && !ctx.userToken) {
      // Not an exchange: the user is not linked to the shop. No call, no journal row.
      throw new ShopBusinessError(method, 401, 'INVALID_TOKEN', 'no user token: the user has not linked the shop account');
    }

    const headers: Record<string, string> = { accept: 'application/json', 'x-correlation-id': correlationId };
    if (ctx.userToken) headers['x-user-token'] = ctx.userToken;
    else if (spec.auth === 'user_or_service' && this.options.serviceKey) headers['x-api-key'] = this.options.serviceKey;
    let url = `${this.apiBase}/${method}`;
    let body: string | undefined;
    if (httpVerb === 'GET') {
      const query = toSearchParams(cleanParams).toString();
      if (query) url += `?${query}`;
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(cleanParams);
    }

    // Acquired last: everything that can throw before the call is done, so a half-open trial is never left hanging.
    if (!this.breaker.tryAcquire(started)) {
      const wait = Math.max(0, this.breaker.retryAt(started) - started);
      const error = new ShopUnavailableError(method, 'breaker_open', `${method}: the shop circuit breaker is open`, { retryAfterMs: wait });
      journal('skipped', undefined, undefined, error.message);
      throw error;
    }

    const timeoutMs = ctx.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
    let status: number;
    let text: string;
    let res: Response;
    try {
      res = await this.fetchFn(url, { method: httpVerb, headers, body, signal });
      status = res.status;
      text = await res.text();
    } catch (cause) {
      if (ctx.signal?.aborted && !timeout.aborted) {
        // The caller gave up: says nothing about the shop.
        this.breaker.release();
        journal('error', undefined, undefined, 'aborted by the caller');
        throw cause;
      }
      const error = timeout.aborted
        ? new ShopUnavailableError(method, 'timeout', `${method}: the shop did not answer within ${timeoutMs} ms`, { cause })
        : new ShopUnavailableError(method, 'network', `${method}: the shop is not reachable (${networkCode(cause)})`, { cause });
      this.fail(error, journal);
    }

    const parsed = parseJson(text);
    const durationMs = this.now() - started;
    const shopCode = isRecord(parsed) && typeof parsed.error === 'string' ? parsed.error : undefined;
    const description = isRecord(parsed) && typeof parsed.error_description === 'string' ? parsed.error_description : '';
    const responseForJournal = parsed ?? (text ? text.slice(0, 2000) : undefined);

    if (status >= 200 && status < 300) {
      if (!isRecord(parsed) || !('result' in parsed)) {
        this.fail(new ShopUnavailableError(method, 'bad_response', `${method}: the shop answered ${status} without a {result} envelope`, { httpStatus: status }), journal, status, responseForJournal);
      }
      this.breaker.recordSuccess();
      journal('ok', status, responseForJournal);
      const envelope = parsed as { result: T; total?: unknown; next?: unknown };
      const reply: ShopReply<T> = { result: envelope.result, httpStatus: status, durationMs };
      if (typeof envelope.total === 'number') reply.total = envelope.total;
      if (typeof envelope.next === 'number') reply.next = envelope.next;
      return reply;
    }
    if (status === 429) {
      this.fail(
        new ShopUnavailableError(method, 'rate_limited', `${method}: the shop limits our requests (429 ${shopCode ?? ''})`.trim(), {
          httpStatus: status,
          shopCode,
          retryAfterMs: retryAfterMs(res.headers.get('retry-after'), this.now()),
        }),
        journal,
        status,
        responseForJournal,
      );
    }
    if (status >= 500 || status === 408) {
      this.fail(
        new ShopUnavailableError(method, 'http_status', `${method}: the shop failed with ${status}${shopCode ? ` ${shopCode}` : ''}`, {
          httpStatus: status,
          shopCode,
          retryAfterMs: retryAfterMs(res.headers.get('retry-after'), this.now()),
        }),
        journal,
        status,
        responseForJournal,
      );
    }
    if (!shopCode) {
      // A 4xx that is not a Bitrix answer (a proxy page, a wrong SHOP_API_URL): not the shop we know.
      this.fail(new ShopUnavailableError(method, 'bad_response', `${method}: ${status} without a Bitrix error body`, { httpStatus: status }), journal, status, responseForJournal);
    }
    // The shop answered and refused: it is healthy, the request is not.
    this.breaker.recordSuccess();
    const error = new ShopBusinessError(method, status, shopCode, description);
    journal('rejected', status, responseForJournal, `${shopCode}: ${description}`);
    throw error;
  }

  private fail(error: ShopError, journal: (status: string, httpStatus: number | undefined, response: unknown, error?: unknown) => void, httpStatus?: number, response?: unknown): never {
    this.breaker.recordFailure(this.now());
    journal('error', httpStatus, response, error.message);
    throw error;
  }

  private async page<T>(method: string, params: Record<string, unknown>, ctx: ShopCallContext): Promise<ShopPage<T>> {
    const reply = await this.call<T[]>(method, params, ctx);
    const page: ShopPage<T> = { items: Array.isArray(reply.result) ? reply.result : [] };
    if (reply.total !== undefined) page.total = reply.total;
    if (reply.next !== undefined) page.next = reply.next;
    return page;
  }

  private async result<T>(method: string, params: Record<string, unknown>, ctx: ShopCallContext): Promise<T> {
    return (await this.call<T>(method, params, ctx)).result;
  }

  // ── catalog ─────────────────────────────────────────────────────────────────────────
  /**
   * One page of products. With `since`: products changed strictly after it, oldest change first,
   * in keyset mode (`start=-1`, no total): take the next page with since = updatedAt of the last
   * row, until a page has fewer than 50 rows.
   */
  listProducts(params: ProductListParams = {}, ctx: ShopCallContext = {}): Promise<ShopPage<ShopProduct>> {
    const { since, ...list } = params;
    if (since === undefined) return this.page('catalog.product.list', listParams(list), ctx);
    return this.page(
      'catalog.product.list',
      listParams({
        ...list,
        filter: { ...list.filter, '>updatedAt': since },
        order: list.order ?? { updatedAt: 'asc' },
        start: list.start ?? -1,
      }),
      ctx,
    );
  }

  /** Every page of products changed after `since` (null: the whole catalog), by keyset. */
  async *productPagesSince(since: string | null, ctx: ShopCallContext = {}): AsyncGenerator<ShopPage<ShopProduct>> {
    let cursor = since ?? '1970-01-01T00:00:00.000Z';
    for (;;) {
      const page = await this.listProducts({ since: cursor }, ctx);
      yield page;
      if (page.items.length < SHOP_PAGE_SIZE) return;
      cursor = page.items[page.items.length - 1]!.updatedAt;
    }
  }

  getProduct(id: number, ctx: ShopCallContext = {}): Promise<ShopProduct> {
    return this.result('catalog.product.get', { id }, ctx);
  }

  getPrice(id: number, ctx: ShopCallContext = {}): Promise<ShopPrice> {
    return this.result('catalog.price.get', { id }, ctx);
  }

  listStores(ctx: ShopCallContext = {}): Promise<ShopStore[]> {
    return this.result('catalog.store.list', {}, ctx);
  }

  /** Stock of a product per store (on hand, reserved, available). */
  getStock(productId: number, ctx: ShopCallContext = {}): Promise<ShopStoreStock[]> {
    return this.result('catalog.store.product.list', { productId }, ctx);
  }

  // ── auth ────────────────────────────────────────────────────────────────────────────
  /** Exchanges Telegram Login Widget data (checked by the shop) for the user's shop JWT. */
  loginTelegram(widgetData: TelegramWidgetData, ctx: ShopCallContext = {}): Promise<ShopLoginResult> {
    return this.result('auth.telegram', { ...widgetData }, ctx);
  }

  currentUser(ctx: ShopCallContext): Promise<ShopUser> {
    return this.result('user.current', {}, ctx);
  }

  // ── basket ──────────────────────────────────────────────────────────────────────────
  cartList(ctx: ShopCallContext, params: ShopListParams = {}): Promise<ShopPage<ShopBasketItem>> {
    return this.page('sale.basket.list', listParams(params), ctx);
  }

  cartAdd(input: { productId: number; quantity?: number }, ctx: ShopCallContext): Promise<ShopBasketChange> {
    return this.result('sale.basket.add', { productId: input.productId, quantity: input.quantity ?? 1 }, ctx);
  }

  cartUpdate(input: { itemId: number; quantity: number }, ctx: ShopCallContext): Promise<ShopBasketChange> {
    return this.result('sale.basket.update', { itemId: input.itemId, quantity: input.quantity }, ctx);
  }

  cartDelete(input: { itemId: number }, ctx: ShopCallContext): Promise<ShopBasketChange> {
    return this.result('sale.basket.delete', { itemId: input.itemId }, ctx);
  }

  cartClear(ctx: ShopCallContext): Promise<{ deleted: boolean; basket: ShopBasket }> {
    return this.result('sale.basket.clear', {}, ctx);
  }

  // ── orders ──────────────────────────────────────────────────────────────────────────
  /**
   * Creates the order from the user's basket. `externalId` is required: the shop returns the
   * first order for a repeated id, so a retry after a timeout never makes a second order.
   */
  createOrder(input: CreateOrderInput, ctx: ShopCallContext): Promise<ShopOrder> {
    if (typeof input.externalId !== 'string' || input.externalId.trim() === '') {
      return Promise.reject(new TypeError('createOrder needs externalId (the idempotency key of the order)'));
    }
    return this.result<ShopOrder>('sale.order.create', { ...input }, ctx).then((order) => {
      this.options.metrics?.recordOrderCreated?.(input.paymentType);
      return order;
    });
  }

  listOrders(ctx: ShopCallContext, params: ShopListParams = {}): Promise<ShopPage<ShopOrder>> {
    return this.page('sale.order.list', listParams(params), ctx);
  }

  /** By id or number (`Z-000123`). */
  getOrder(id: number | string, ctx: ShopCallContext): Promise<ShopOrder> {
    return this.result('sale.order.get', { id }, ctx);
  }

  cancelOrder(id: number | string, reason: string | undefined, ctx: ShopCallContext): Promise<ShopOrder> {
    return this.result('sale.order.cancel', { id, reason }, ctx);
  }

  /** Orders whose status changed after `since`: the user's with a token, shop-wide with the service key. */
  orderChanges(params: ChangesParams | string, ctx: ShopCallContext = {}): Promise<ShopPage<ShopOrder>> {
    return this.page('sale.order.changes', changesParams(params), ctx);
  }

  // ── returns ─────────────────────────────────────────────────────────────────────────
  createReturn(input: CreateReturnInput, ctx: ShopCallContext): Promise<ShopReturn> {
    return this.result('sale.return.create', { ...input }, ctx);
  }

  getReturn(id: number | string, ctx: ShopCallContext): Promise<ShopReturn> {
    return this.result('sale.return.get', { id }, ctx);
  }

  listReturns(ctx: ShopCallContext, params: ShopListParams = {}): Promise<ShopPage<ShopReturn>> {
    return this.page('sale.return.list', listParams(params), ctx);
  }

  returnChanges(params: ChangesParams | string, ctx: ShopCallContext = {}): Promise<ShopPage<ShopReturn>> {
    return this.page('sale.return.changes', changesParams(params), ctx);
  }
}

function listParams(params: ShopListParams): Record<string, unknown> {
  return compact({ filter: params.filter, order: params.order, select: params.select, start: params.start });
}

function changesParams(params: ChangesParams | string): Record<string, unknown> {
  const p = typeof params === 'string' ? { since: params } : params;
  return compact({ since: p.since, start: p.start, filter: p.filter, select: p.select });
}

/** The most telling code of a fetch failure (undici wraps the socket error in `cause`). */
function networkCode(error: unknown): string {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : 'network error';
}

