import type { Knex } from 'knex';
import type { AuthRuntime } from '../auth/runtime';
import type { CatalogItemView } from '../catalog/rows';
import type { CatalogSearchService } from '../catalog/search-service';
import { howTo } from '../howto/howto';
import { kitFor, type HowToKit } from '../howto/kit';
import type { LlmClient } from '../howto/llm-client';
import { defaultTips, type TipsCatalog } from '../howto/tips';
import { policyFrom } from '../ratelimit/policy';
import { consumeToken } from '../ratelimit/token-bucket';
import type { ShopClient } from '../shop/client';
import { isShopBusinessError, isShopUnavailable } from '../shop/errors';
import type { ShopBasket, ShopBasketItem, ShopOrder, ShopReturn } from '../shop/types';
import {
  PortError,
  type AssistantUser,
  type Cart,
  type CatalogItem,
  type CatalogPort,
  type CatalogSearch,
  type HowtoPort,
  type Kit,
  type Order,
  type RateDecision,
  type ReturnRequest,
  type ShopPort,
  type UsersPort,
} from './ports';

/**
 * The real modules mapped onto the assistant's ports:
 * - catalog: CatalogSearchService (src/catalog) — search over the PostgreSQL cache, compat;
 * - shop: ShopClient (src/shop) with the user's token per call; its errors become PortError;
 * - users: AuthRuntime (src/auth) — the token vault;
 * - howto: howTo() and kitFor() (src/howto) with the curated tips and an optional LLM;
 * - rate limit: consumeToken (src/ratelimit) in PostgreSQL.
 */

// ── catalog ─────────────────────────────────────────────────────────────────────────
type CatalogService = Pick<CatalogSearchService, 'search' | 'getItem' | 'compat'>;

function catalogItem(v: CatalogItemView): CatalogItem {
  return { id: v.id, name: v.name, quality: v.quality, priceMaster: v.priceMaster ?? v.price, stockTotal: v.stockTotal, models: v.models, partType: v.partType };
}

export function catalogPortFrom(service: CatalogService | (() => CatalogService)): CatalogPort {
  const svc = (): CatalogService => (typeof service === 'function' ? service() : service);
  return {
    async search(query, { limit }): Promise<CatalogSearch> {
      const r = await svc().search(query, { limit, suggestionLimit: 5, channel: 'telegram' });
      const i = r.interpretation;
      const understood =
        r.items.length > 0 ||
        r.suggestions.length > 0 ||
        !!i.exact ||
        i.codes.length > 0 ||
        i.models.length > 0 ||
        i.family.length > 0 ||
        i.partTypes.length > 0 ||
        i.fallbackPartTypes.length > 0;
      return {
        items: r.items.map(catalogItem),
        suggestions: r.suggestions.map(catalogItem),
        explanation: r.explanation,
        understood,
        models: i.models,
        asOf: r.asOf,
        degraded: r.degraded,
      };
    },
    async getItem(id) {
      const r = await svc().getItem(id);
      return r.item && r.item.active ? catalogItem(r.item) : null;
    },
    async compatByItem(id) {
      const r = await svc().compat({ itemId: id });
      return { item: r.item ? catalogItem(r.item) : null, models: r.models };
    },
    async compatByModel(text) {
      const r = await svc().compat({ model: text });
      return {
        models: r.models,
        parts: r.parts.map((p) => ({ ...catalogItem(p), sharedWith: p.sharedWith })),
        partTypes: r.partTypes,
        sharedModels: r.sharedModels,
        total: r.total,
      };
    },
  };
}

// ── shop ────────────────────────────────────────────────────────────────────────────
function cartFromItems(items: readonly ShopBasketItem[], basket?: Pick<ShopBasket, 'quantity' | 'price'>): Cart {
  return {
    lines: items.map((i) => ({ id: i.id, productId: i.productId, name: i.name, quantity: i.quantity, price: i.price, sum: i.sum, available: i.available })),
    quantity: basket?.quantity ?? items.reduce((s, i) => s + i.quantity, 0),
    total: basket?.price ?? items.reduce((s, i) => s + i.sum, 0),
  };
}

export function orderFrom(o: ShopOrder): Order {
  return {
    id: o.id,
    number: o.number,
    status: o.status,
    history: o.history ?? [],
    paymentType: o.paymentType,
    delivery: o.delivery,
    address: o.address,
    trackingNumber: o.trackingNumber,
    lines: (o.items ?? []).map((i) => ({ id: i.id, productId: i.productId, name: i.name, quantity: i.quantity, price: i.price, sum: i.sum })),
    total: o.price,
    paid: o.paid,
    ...(o.paymentUrl ? { paymentUrl: o.paymentUrl } : {}),
    createdAt: o.createdAt,
  };
}

function returnFrom(r: ShopReturn): ReturnRequest {
  return { id: r.id, number: r.number, orderNumber: r.orderNumber, name: r.name, quantity: r.quantity, status: r.status };
}

/** ShopClient errors → PortError (unavailable / unauthorized / business with the Bitrix code). */
export function toPortError(error: unknown): unknown {
  if (isShopUnavailable(error)) return new PortError('unavailable', error.message, error.reason, { cause: error });
  if (isShopBusinessError(error)) {
    return new PortError(error.shopCode === 'INVALID_TOKEN' ? 'unauthorized' : 'business', error.message, error.shopCode, { cause: error });
  }
  return error;
}

async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toPortError(error);
  }
}

type ShopApi = Pick<ShopClient, 'cartList' | 'cartAdd' | 'cartUpdate' | 'cartDelete' | 'createOrder' | 'listOrders' | 'getOrder' | 'createReturn'>;

/** `client` may be absent (SHOP_API_URL not set): every call is then "unavailable". */
export function shopPortFrom(client: ShopApi | undefined | (() => ShopApi | undefined), options: { timeoutMs?: number } = {}): ShopPort {
  const api = (): ShopApi => {
    const c = typeof client === 'function' ? client() : client;
    if (!c) throw new PortError('unavailable', 'no shop is configured (SHOP_API_URL)', 'not_configured');
    return c;
  };
  const ctx = (token: string) => ({ userToken: token, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  return {
    cart: (token) => guard(async () => cartFromItems((await api().cartList(ctx(token))).items)),
    addToCart: (token, productId, quantity) =>
      guard(async () => {
        const change = await api().cartAdd({ productId, quantity }, ctx(token));
        return cartFromItems(change.basket.items, change.basket);
      }),
    setCartQuantity: (token, itemId, quantity) =>
      guard(async () => {
        const change = await api().cartUpdate({ itemId, quantity }, ctx(token));
        return cartFromItems(change.basket.items, change.basket);
      }),
    removeFromCart: (token, itemId) =>
      guard(async () => {
        const change = await api().cartDelete({ itemId }, ctx(token));
        return cartFromItems(change.basket.items, change.basket);
      }),
    createOrder: (token, request) => guard(async () => orderFrom(await api().createOrder({ ...request }, ctx(token)))),
    listOrders: (token, { limit }) => guard(async () => (await api().listOrders(ctx(token), { order: { id: 'desc' } })).items.slice(0, limit).map(orderFrom)),
    getOrder: (token, ref) => guard(async () => orderFrom(await api().getOrder(ref, ctx(token)))),
    createReturn: (token, input) =>
      guard(async () =>
        returnFrom(
          await api().createReturn(
            { orderId: input.orderId, itemId: input.itemId, quantity: input.quantity, reason: input.reason, photos: [...input.photos], externalId: input.externalId },
            ctx(token),
          ),
        ),
      ),
  };
}

// ── users ───────────────────────────────────────────────────────────────────────────
export function usersPortFrom(auth: Pick<AuthRuntime, 'telegramUser'> | (() => Promise<Pick<AuthRuntime, 'telegramUser'>>)): UsersPort {
  return {
    async lookup(telegramUserId): Promise<AssistantUser> {
      const rt = typeof auth === 'function' ? await auth() : auth;
      const u = await rt.telegramUser(telegramUserId);
      return { telegramUserId: u.telegramUserId, linked: u.linked && !!u.shopToken, ...(u.shopToken ? { shopToken: u.shopToken } : {}) };
    },
  };
}

/** msg.user as mw-auth (telegram mode) sets it → the assistant's user. */
export function userFromMsgUser(value: unknown): AssistantUser | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const u = value as { telegramUserId?: unknown; linked?: unknown; shopToken?: unknown; lookupFailed?: unknown };
  if (typeof u.linked !== 'boolean') return undefined;
  // A failed lookup is not a verdict: ask the vault again.
  if (u.lookupFailed) return undefined;
  const token = typeof u.shopToken === 'string' && u.shopToken ? u.shopToken : undefined;
  return { telegramUserId: typeof u.telegramUserId === 'number' ? u.telegramUserId : undefined, linked: u.linked && !!token, ...(token ? { shopToken: token } : {}) };
}

// ── howto ───────────────────────────────────────────────────────────────────────────
function kitOf(k: HowToKit): Kit {
  return {
    topic: k.tipId,
    title: k.title,
    queries: k.queries,
    parts: k.parts,
    tools: k.tools,
    needsModel: k.needsModel,
    ...(k.bundle ? { bundle: k.bundle } : {}),
    ...(k.model ? { model: k.model } : {}),
  };
}

export function howtoPortFrom(options: { llm?: LlmClient; tips?: TipsCatalog | (() => TipsCatalog) } = {}): HowtoPort {
  const tips = (): TipsCatalog => (typeof options.tips === 'function' ? options.tips() : (options.tips ?? defaultTips()));
  return {
    async answer(question, { model, correlationId }) {
      const r = await howTo(question, { llm: options.llm, tips: tips(), model, correlationId });
      return { topic: r.topic, title: r.title, steps: r.steps, safety: r.safety, kit: kitOf(r.kit), source: r.source, ...(r.model ? { model: r.model } : {}) };
    },
    async kit(topic, model) {
      const catalog = tips();
      const tip = catalog.byId.get(topic);
      return tip ? kitOf(kitFor(tip, model)) : undefined;
    },
  };
}

// ── rate limit ──────────────────────────────────────────────────────────────────────
/** `perMinute` messages a minute per Telegram user (burst the same), buckets in PostgreSQL. */
export function rateLimitPortFrom(db: Knex, options: { perMinute?: number; burst?: number } = {}): (principal: string) => Promise<RateDecision> {
  const perMinute = options.perMinute ?? 20;
  const policy = policyFrom(perMinute, 'minute', options.burst ?? perMinute);
  return async (principal) => {
    const d = await consumeToken(db, `assistant:${principal}`, policy);
    return { allowed: d.allowed, retryAfterSeconds: d.retryAfterSeconds };
  };
}
