import express, { type Request, type Response, type Router } from 'express';
import type { UserStore } from './auth';
import type { CartStore } from './cart';
import { STORE_NAMES, type CatalogStore, PRODUCT_FIELDS } from './catalog';
import type { ShopClock } from './clock';
import { errorHandler, invalidArgument, notFound, ShopError } from './errors';
import { ORDER_EXTRA_SELECT, ORDER_FIELDS, type OrderStore } from './orders';
import {
  isRecord,
  optionalInt,
  optionalString,
  parseInstant,
  requiredEnum,
  requiredInt,
  requiredString,
  type Params,
} from './params';
import { listViews, type FieldSpecs } from './query';
import { MAX_RETURN_PHOTOS, RETURN_EXTRA_SELECT, RETURN_FIELDS, type ReturnStore } from './returns';
import type { ShopUser } from './types';

export const API_BASE = '/rest/v1';

export interface ShopServices {
  readonly catalog: CatalogStore;
  readonly users: UserStore;
  readonly carts: CartStore;
  readonly orders: OrderStore;
  readonly returns: ReturnStore;
  readonly clock: ShopClock;
  /** When set, the global change feeds need `X-Api-Key: <serviceKey>` (a user token scopes them instead). */
  readonly serviceKey?: string;
}

/** What a method answers: `{result}` or a list page; the router adds the `time` block. */
type Reply = { result: unknown; total?: number; next?: number };

interface Call {
  readonly req: Request;
  readonly params: Params;
  readonly baseUrl: string;
  user(): ShopUser;
}

interface MethodDef {
  readonly verbs: readonly ('GET' | 'POST')[];
  readonly handle: (call: Call) => Reply;
}

const READ = ['GET', 'POST'] as const;
const WRITE = ['POST'] as const;

const BASKET_FIELDS: FieldSpecs = { id: 'int', productId: 'int', quantity: 'int', price: 'number', sum: 'number', updatedAt: 'date' };

function methods(s: ShopServices): Record<string, MethodDef> {
  const { catalog, users, carts, orders, returns } = s;
  return {
    // ── catalog (public) ──────────────────────────────────────────────────────────────
    'catalog.product.list': {
      verbs: READ,
      handle: ({ params }) => listViews(catalog.all().map((p) => ({ ...catalog.view(p) })), params, PRODUCT_FIELDS, { selectExtra: ['currency', 'stock'] }),
    },
    'catalog.product.get': {
      verbs: READ,
      handle: ({ params }) => ({ result: catalog.view(catalog.require(requiredInt(params, 'id'))) }),
    },
    'catalog.price.get': {
      verbs: READ,
      handle: ({ params }) => {
        const product = catalog.require(requiredInt(params, 'id'));
        return {
          result: { productId: product.id, price: product.price, priceMaster: product.priceMaster, currency: 'RUB', updatedAt: product.updatedAt },
        };
      },
    },
    'catalog.store.list': {
      verbs: READ,
      handle: () => {
        const stores = catalog.stores().map((id) => ({ id, name: STORE_NAMES[id] ?? id }));
        return { result: stores, total: stores.length };
      },
    },
    'catalog.store.product.list': {
      verbs: READ,
      handle: ({ params }) => {
        const product = catalog.require(requiredInt(params, 'productId'));
        const rows = Object.keys(product.stock).map((store) => ({
          storeId: store,
          storeName: STORE_NAMES[store] ?? store,
          productId: product.id,
          amount: product.stock[store],
          quantityReserved: product.reserved[store] ?? 0,
          available: catalog.availableIn(product, store),
        }));
        return { result: rows, total: rows.length };
      },
    },

    // ── auth ─────────────────────────────────────────────────────────────────────────
    'auth.telegram': {
      verbs: WRITE,
      handle: ({ req }) => ({ result: users.loginWithTelegram(req.body) }),
    },
    'user.current': {
      verbs: READ,
      handle: ({ user }) => ({ result: { ...user() } }),
    },

    // ── basket ───────────────────────────────────────────────────────────────────────
    'sale.basket.list': {
      verbs: READ,
      handle: ({ user, params }) => {
        const me = user();
        return listViews(carts.items(me.id).map((item) => ({ ...carts.view(item) })), params, BASKET_FIELDS, {
          selectExtra: ['name', 'article', 'currency', 'available'],
        });
      },
    },
    'sale.basket.add': {
      verbs: WRITE,
      handle: ({ user, params }) => {
        const me = user();
        const item = carts.add(me.id, requiredInt(params, 'productId'), optionalInt(params, 'quantity') ?? 1);
        return { result: { item: carts.view(item), basket: carts.summary(me.id) } };
      },
    },
    'sale.basket.update': {
      verbs: WRITE,
      handle: ({ user, params }) => {
        const me = user();
        const item = carts.update(me.id, requiredInt(params, 'itemId'), requiredInt(params, 'quantity'));
        return { result: { item: carts.view(item), basket: carts.summary(me.id) } };
      },
    },
    'sale.basket.delete': {
      verbs: WRITE,
      handle: ({ user, params }) => {
        const me = user();
        carts.remove(me.id, requiredInt(params, 'itemId'));
        return { result: { deleted: true, basket: carts.summary(me.id) } };
      },
    },
    'sale.basket.clear': {
      verbs: WRITE,
      handle: ({ user }) => {
        const me = user();
        carts.clear(me.id);
        return { result: { deleted: true, basket: carts.summary(me.id) } };
      },
    },

    // ── orders ───────────────────────────────────────────────────────────────────────
    'sale.order.create': {
      verbs: WRITE,
      handle: ({ user, params, baseUrl }) => {
        const me = user();
        const phone = optionalString(params, 'phone', 32);
        if (phone !== undefined && !isPhone(phone)) throw invalidArgument('Parameter "phone" must be a phone number such as +79161234567');
        const { order } = orders.create(me.id, {
          paymentType: requiredEnum(params, 'paymentType', ['prepaid', 'cod'] as const),
          delivery: requiredEnum(params, 'delivery', ['courier', 'pickup'] as const),
          address: optionalString(params, 'address', 500),
          phone,
          comment: optionalString(params, 'comment', 2000),
          externalId: optionalString(params, 'externalId', 100),
          pickupStore: optionalString(params, 'pickupStore', 40),
        });
        return { result: orders.view(order, baseUrl) };
      },
    },
    'sale.order.list': {
      verbs: READ,
      handle: ({ user, params, baseUrl }) => {
        const me = user();
        return listViews(orders.forUser(me.id).map((o) => ({ ...orders.view(o, baseUrl) })), params, ORDER_FIELDS, {
          defaultOrder: { id: 'desc' },
          selectExtra: ORDER_EXTRA_SELECT,
        });
      },
    },
    'sale.order.get': {
      verbs: READ,
      handle: ({ user, params, baseUrl }) => ({ result: orders.view(orders.require(requiredString(params, 'id', 40), user().id), baseUrl) }),
    },
    'sale.order.cancel': {
      verbs: WRITE,
      handle: ({ user, params, baseUrl }) => {
        const order = orders.cancelByCustomer(user().id, requiredString(params, 'id', 40), optionalString(params, 'reason', 500) ?? null);
        return { result: orders.view(order, baseUrl) };
      },
    },
    'sale.order.changes': {
      verbs: READ,
      handle: (call) => {
        const scope = feedScope(call, s);
        const since = parseInstant(call.params.since, 'since');
        return listViews(orders.changedSince(since, scope).map((o) => ({ ...orders.view(o, call.baseUrl) })), call.params, ORDER_FIELDS, {
          defaultOrder: { statusChangedAt: 'asc' },
          selectExtra: ORDER_EXTRA_SELECT,
        });
      },
    },

    // ── returns (RMA) ────────────────────────────────────────────────────────────────
    'sale.return.create': {
      verbs: WRITE,
      handle: ({ user, params }) => {
        const me = user();
        const { request } = returns.create(me.id, {
          orderId: requiredString(params, 'orderId', 40),
          itemId: requiredInt(params, 'itemId'),
          quantity: requiredInt(params, 'quantity'),
          reason: requiredString(params, 'reason', 2000),
          photos: photoList(params.photos),
          externalId: optionalString(params, 'externalId', 100),
        });
        return { result: returns.view(request) };
      },
    },
    'sale.return.get': {
      verbs: READ,
      handle: ({ user, params }) => ({ result: returns.view(returns.require(requiredString(params, 'id', 40), user().id)) }),
    },
    'sale.return.list': {
      verbs: READ,
      handle: ({ user, params }) =>
        listViews(returns.forUser(user().id).map((r) => ({ ...returns.view(r) })), params, RETURN_FIELDS, {
          defaultOrder: { id: 'desc' },
          selectExtra: RETURN_EXTRA_SELECT,
        }),
    },
    'sale.return.changes': {
      verbs: READ,
      handle: (call) => {
        const scope = feedScope(call, s);
        const since = parseInstant(call.params.since, 'since');
        return listViews(returns.changedSince(since, scope).map((r) => ({ ...returns.view(r) })), call.params, RETURN_FIELDS, {
          defaultOrder: { statusChangedAt: 'asc' },
          selectExtra: RETURN_EXTRA_SELECT,
        });
      },
    },
  };
}

/** A change feed read with a user token shows that user's changes; without one it is the shop-wide feed. */
function feedScope(call: Call, s: ShopServices): number | undefined {
  if (call.req.headers['x-user-token'] !== undefined) return call.user().id;
  if (s.serviceKey !== undefined && call.req.headers['x-api-key'] !== s.serviceKey) {
    throw new ShopError(401, 'INVALID_API_KEY', 'X-Api-Key header with the service key is required for the shop-wide feed');
  }
  return undefined;
}

function photoList(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  const list = Array.isArray(raw) ? raw : isRecord(raw) ? Object.values(raw) : [raw];
  if (list.some((p) => typeof p !== 'string')) throw invalidArgument('Parameter "photos" must be a list of URLs');
  if (list.length > MAX_RETURN_PHOTOS) throw invalidArgument(`At most ${MAX_RETURN_PHOTOS} photos`);
  return list as string[];
}

function isPhone(value: string): boolean {
  const digits = value.replace(/\D/g, '');
  return /^\+?[\d\s()-]+$/.test(value) && digits.length >= 10 && digits.length <= 15;
}

function baseUrlOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
}

function timeBlock(startedAt: Date, startedMs: number): Record<string, number | string> {
  const duration = (performance.now() - startedMs) / 1000;
  const finish = new Date(startedAt.getTime() + duration * 1000);
  return {
    start: startedAt.getTime() / 1000,
    finish: finish.getTime() / 1000,
    duration,
    processing: duration,
    date_start: startedAt.toISOString(),
    date_finish: finish.toISOString(),
  };
}

/** The shop API under /rest/v1 and the payment page under /pay, with Bitrix-style errors. */
export function shopRouter(services: ShopServices): Router {
  const table = methods(services);
  const router = express.Router();
  const parsers = [express.json({ limit: '1mb' }), express.urlencoded({ extended: true, limit: '1mb' })];

  router.all(`${API_BASE}/:method`, ...parsers, (req: Request, res: Response) => {
    const startedAt = services.clock.now();
    const startedMs = performance.now();
    const name = String(req.params.method).toLowerCase().replace(/\.json$/, '');
    const def = table[name];
    if (!def) throw notFound('ERROR_METHOD_NOT_FOUND', `Method "${name}" not found`);
    if (!(def.verbs as readonly string[]).includes(req.method)) {
      throw new ShopError(405, 'METHOD_NOT_ALLOWED', `${name} needs HTTP ${def.verbs.join(' or ')}`, { Allow: def.verbs.join(', ') });
    }
    const body: unknown = req.body;
    const params: Params = { ...(req.query as Params), ...(isRecord(body) ? body : {}) };
    let current: ShopUser | undefined;
    const call: Call = {
      req,
      params,
      baseUrl: baseUrlOf(req),
      user: () => (current ??= services.users.authenticate(req)),
    };
    const reply = def.handle(call);
    res.json({ ...reply, time: timeBlock(startedAt, startedMs) });
  });

  router.all(`${API_BASE}`, () => {
    throw notFound('ERROR_METHOD_NOT_FOUND', 'Method not given');
  });
  router.all(`${API_BASE}/*`, () => {
    throw notFound('ERROR_METHOD_NOT_FOUND', 'Method not found');
  });

  // The payment link of a prepaid order (opened by the master in a browser).
  router.get('/pay/:orderId', (req: Request, res: Response) => {
    const { order, alreadyPaid } = services.orders.pay(String(req.params.orderId));
    const wantsJson = req.query.format === 'json' || req.accepts(['html', 'json']) === 'json';
    if (wantsJson) {
      res.json({ result: { orderId: order.id, number: order.number, paid: true, alreadyPaid, paidAt: order.paidAt, price: order.price } });
      return;
    }
    const title = alreadyPaid ? `Заказ ${order.number} уже оплачен` : `Заказ ${order.number} оплачен`;
    res
      .type('html')
      .send(`<!doctype html><html lang="ru"><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>Сумма: ${order.price} ₽</p></html>`);
  });

  router.use(errorHandler);
  return router;
}
