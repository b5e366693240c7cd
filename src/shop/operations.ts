import type { ShopCallContext, ShopClient } from './client';
import type { ChangesParams, CreateOrderInput, CreateReturnInput, ProductListParams, ShopListParams, TelegramWidgetData } from './types';

/**
 * Shop operations by name, for flows (the `mw-shop` node): the Bitrix method name (what the
 * journal shows) or the client's method name, with the arguments taken from one object
 * (msg.payload). A scalar payload is the id the operation needs (`sale.order.get` ← "Z-000123").
 */
export class ShopArgumentError extends TypeError {
  override readonly name = 'ShopArgumentError';
}

export interface ShopOperation {
  /** Bitrix method. */
  readonly method: string;
  /** ShopClient method name (alias). */
  readonly alias: string;
  /** Needs the user's token. */
  readonly user: boolean;
  readonly group: 'catalog' | 'auth' | 'basket' | 'orders' | 'returns';
  run(client: ShopClient, args: Record<string, unknown>, ctx: ShopCallContext, extra: { externalId?: string }): Promise<unknown>;
}

type Args = Record<string, unknown>;

function int(args: Args, ...names: string[]): number {
  for (const name of names) {
    const v = args[name];
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (Number.isSafeInteger(n) && n > 0) return n;
  }
  throw new ShopArgumentError(`${names[0]} (a positive integer) is required`);
}

function optInt(args: Args, name: string): number | undefined {
  return args[name] === undefined || args[name] === null || args[name] === '' ? undefined : int(args, name);
}

function ref(args: Args, ...names: string[]): number | string {
  for (const name of names) {
    const v = args[name];
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  throw new ShopArgumentError(`${names[0]} (an id or a number such as Z-000123) is required`);
}

function str(args: Args, name: string): string | undefined {
  const v = args[name];
  return typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

function list(args: Args): ShopListParams {
  const out: ShopListParams = {};
  if (args.filter && typeof args.filter === 'object') out.filter = args.filter as Record<string, unknown>;
  if (args.order && typeof args.order === 'object') out.order = args.order as ShopListParams['order'];
  if (Array.isArray(args.select)) out.select = args.select.map(String);
  if (args.start !== undefined) out.start = Number(args.start);
  return out;
}

function changes(args: Args): ChangesParams {
  const since = str(args, 'since');
  if (!since) throw new ShopArgumentError('since (ISO date-time of the last change seen) is required');
  return { since, ...list(args) };
}

const OPS: ShopOperation[] = [
  { method: 'catalog.product.list', alias: 'listProducts', user: false, group: 'catalog', run: (c, a, ctx) => c.listProducts({ ...list(a), since: str(a, 'since') } as ProductListParams, ctx) },
  { method: 'catalog.product.get', alias: 'getProduct', user: false, group: 'catalog', run: (c, a, ctx) => c.getProduct(int(a, 'id', 'productId'), ctx) },
  { method: 'catalog.price.get', alias: 'getPrice', user: false, group: 'catalog', run: (c, a, ctx) => c.getPrice(int(a, 'id', 'productId'), ctx) },
  { method: 'catalog.store.list', alias: 'listStores', user: false, group: 'catalog', run: (c, _a, ctx) => c.listStores(ctx) },
  { method: 'catalog.store.product.list', alias: 'getStock', user: false, group: 'catalog', run: (c, a, ctx) => c.getStock(int(a, 'productId', 'id'), ctx) },
  {
    method: 'auth.telegram',
    alias: 'loginTelegram',
    user: false,
    group: 'auth',
    run: (c, a, ctx) => {
      if (a.id === undefined || a.hash === undefined || a.auth_date === undefined) throw new ShopArgumentError('Telegram Login Widget data {id, auth_date, hash, …} is required');
      return c.loginTelegram(a as TelegramWidgetData, ctx);
    },
  },
  { method: 'user.current', alias: 'currentUser', user: true, group: 'auth', run: (c, _a, ctx) => c.currentUser(ctx) },
  { method: 'sale.basket.list', alias: 'cartList', user: true, group: 'basket', run: (c, a, ctx) => c.cartList(ctx, list(a)) },
  { method: 'sale.basket.add', alias: 'cartAdd', user: true, group: 'basket', run: (c, a, ctx) => c.cartAdd({ productId: int(a, 'productId', 'id'), quantity: optInt(a, 'quantity') }, ctx) },
  { method: 'sale.basket.update', alias: 'cartUpdate', user: true, group: 'basket', run: (c, a, ctx) => c.cartUpdate({ itemId: int(a, 'itemId', 'id'), quantity: int(a, 'quantity') }, ctx) },
  { method: 'sale.basket.delete', alias: 'cartDelete', user: true, group: 'basket', run: (c, a, ctx) => c.cartDelete({ itemId: int(a, 'itemId', 'id') }, ctx) },
  { method: 'sale.basket.clear', alias: 'cartClear', user: true, group: 'basket', run: (c, _a, ctx) => c.cartClear(ctx) },
  {
    method: 'sale.order.create',
    alias: 'createOrder',
    user: true,
    group: 'orders',
    run: (c, a, ctx, extra) => {
      const paymentType = str(a, 'paymentType');
      const delivery = str(a, 'delivery');
      if (paymentType !== 'prepaid' && paymentType !== 'cod') throw new ShopArgumentError('paymentType must be prepaid or cod');
      if (delivery !== 'courier' && delivery !== 'pickup') throw new ShopArgumentError('delivery must be courier or pickup');
      const externalId = str(a, 'externalId') ?? extra.externalId;
      if (!externalId) throw new ShopArgumentError('externalId (or msg.idempotencyKey) is required: it keeps a retried order from being created twice');
      const input: CreateOrderInput = {
        paymentType,
        delivery,
        externalId,
        address: str(a, 'address'),
        phone: str(a, 'phone'),
        comment: str(a, 'comment'),
        pickupStore: str(a, 'pickupStore'),
      };
      return c.createOrder(input, ctx);
    },
  },
  { method: 'sale.order.list', alias: 'listOrders', user: true, group: 'orders', run: (c, a, ctx) => c.listOrders(ctx, list(a)) },
  { method: 'sale.order.get', alias: 'getOrder', user: true, group: 'orders', run: (c, a, ctx) => c.getOrder(ref(a, 'id', 'orderId', 'number'), ctx) },
  { method: 'sale.order.cancel', alias: 'cancelOrder', user: true, group: 'orders', run: (c, a, ctx) => c.cancelOrder(ref(a, 'id', 'orderId', 'number'), str(a, 'reason'), ctx) },
  { method: 'sale.order.changes', alias: 'orderChanges', user: false, group: 'orders', run: (c, a, ctx) => c.orderChanges(changes(a), ctx) },
  {
    method: 'sale.return.create',
    alias: 'createReturn',
    user: true,
    group: 'returns',
    run: (c, a, ctx, extra) => {
      const reason = str(a, 'reason');
      if (!reason) throw new ShopArgumentError('reason is required');
      const input: CreateReturnInput = {
        orderId: ref(a, 'orderId', 'orderNumber'),
        itemId: int(a, 'itemId'),
        quantity: int(a, 'quantity'),
        reason,
        photos: Array.isArray(a.photos) ? a.photos.map(String) : undefined,
        externalId: str(a, 'externalId') ?? extra.externalId,
      };
      return c.createReturn(input, ctx);
    },
  },
  { method: 'sale.return.get', alias: 'getReturn', user: true, group: 'returns', run: (c, a, ctx) => c.getReturn(ref(a, 'id', 'returnId', 'number'), ctx) },
  { method: 'sale.return.list', alias: 'listReturns', user: true, group: 'returns', run: (c, a, ctx) => c.listReturns(ctx, list(a)) },
  { method: 'sale.return.changes', alias: 'returnChanges', user: false, group: 'returns', run: (c, a, ctx) => c.returnChanges(changes(a), ctx) },
];

const BY_NAME = new Map<string, ShopOperation>();
for (const op of OPS) {
  BY_NAME.set(op.method.toLowerCase(), op);
  BY_NAME.set(op.alias.toLowerCase(), op);
}

export const SHOP_OPERATIONS: readonly ShopOperation[] = OPS;

/** By Bitrix method (`sale.order.create`) or client method (`createOrder`), case-insensitive. */
export function shopOperation(name: unknown): ShopOperation | undefined {
  return typeof name === 'string' ? BY_NAME.get(name.trim().toLowerCase()) : undefined;
}

/** The arguments object of an operation from msg.payload: an object as is, a scalar as the id. */
export function operationArgs(op: ShopOperation, payload: unknown): Args {
  if (payload && typeof payload === 'object' && !Array.isArray(payload)) return payload as Args;
  if (typeof payload === 'string' || typeof payload === 'number') {
    if (op.method.endsWith('.changes')) return { since: payload };
    if (op.method === 'catalog.store.product.list') return { productId: payload };
    return { id: payload };
  }
  return {};
}
