import { randomBytes } from 'node:crypto';
import { FakeServer } from '../harness';
import { type LoginResult, UserStore } from './auth';
import { CartStore } from './cart';
import { CatalogStore, DEFAULT_CATALOG_FILE, readCatalogFile } from './catalog';
import { ShopClock } from './clock';
import { controlRouter, mountControlRoutes } from './control';
import { systemErrorBody } from './errors';
import { OrderStore } from './orders';
import { ReturnStore } from './returns';
import { shopRouter, type ShopServices } from './routes';
import { signTelegramLogin, type TelegramLoginData } from './telegram';
import type { CartItem, Order, OrderStatus, Product, ProductPatch, ReturnRequest, ShopCounters, ShopUser } from './types';

export type { LoginResult } from './auth';
export type { TelegramLoginData } from './telegram';
export { signTelegramLogin, telegramHash, dataCheckString } from './telegram';
export { signJwt, verifyJwt } from './jwt';
export { API_BASE } from './routes';
export { CONTROL_BASE } from './control';
export * from './types';

/** Bot token the sandbox checks Login Widget hashes with unless told otherwise. */
export const DEFAULT_SHOP_BOT_TOKEN = '7000000001:AAH-shop-sandbox-bot-token-0000000000';

export interface ShopSandboxOptions {
  /** JSONL catalog export; default test/fixtures/catalog.jsonl. */
  catalogFile?: string;
  /** HS256 secret of the user tokens; default a random one per instance. */
  jwtSecret?: string;
  /** Telegram bot token the Login Widget hash is checked with; default DEFAULT_SHOP_BOT_TOKEN. */
  botToken?: string;
  /** Wall clock (auth_date freshness, token expiry, timestamps). */
  now?: () => Date;
  /** When set, the shop-wide change feeds need `X-Api-Key: <serviceKey>`. */
  serviceKey?: string;
  /** Random source of the harness's error-rate faults. */
  random?: () => number;
}

const zeroCounters = (): ShopCounters => ({
  ordersCreated: 0,
  orderReplays: 0,
  ordersCancelled: 0,
  payments: 0,
  returnsCreated: 0,
  returnReplays: 0,
  usersCreated: 0,
  logins: 0,
  loginFailures: 0,
  tokenFailures: 0,
});

/**
 * The fake of the company's 1C-Bitrix web shop API (README.md beside this file): a FakeServer
 * (recording, latency, error rate, outage with Bitrix-style bodies) plus typed access to the
 * shop's state and the knobs tests drive it with.
 */
export class ShopSandbox extends FakeServer {
  readonly botToken: string;
  readonly jwtSecret: string;
  readonly counters: ShopCounters = zeroCounters();
  /** The stores behind the API, for tests that need more than the helpers below. */
  readonly state: ShopServices;

  constructor(options: ShopSandboxOptions = {}) {
    super({ name: 'shop', errorBody: systemErrorBody, random: options.random });
    this.botToken = options.botToken ?? DEFAULT_SHOP_BOT_TOKEN;
    this.jwtSecret = options.jwtSecret ?? randomBytes(32).toString('hex');
    const clock = new ShopClock(options.now);
    const catalog = new CatalogStore(readCatalogFile(options.catalogFile ?? DEFAULT_CATALOG_FILE), clock);
    const users = new UserStore(clock, this.jwtSecret, this.botToken, this.counters);
    const carts = new CartStore(catalog, clock);
    const orders = new OrderStore(catalog, carts, clock, this.counters);
    const returns = new ReturnStore(orders, clock, this.counters);
    this.state = { catalog, users, carts, orders, returns, clock, serviceKey: options.serviceKey };
    this.app.use(shopRouter(this.state));
    mountControlRoutes(this.app, controlRouter(this));
  }

  // ── state ────────────────────────────────────────────────────────────────────────────
  get orders(): readonly Order[] {
    return this.state.orders.all();
  }

  get returns(): readonly ReturnRequest[] {
    return this.state.returns.all();
  }

  get users(): readonly ShopUser[] {
    return this.state.users.all();
  }

  /** Basket lines by shop user id. */
  get carts(): ReadonlyMap<number, readonly CartItem[]> {
    return this.state.carts.all();
  }

  cart(userId: number): readonly CartItem[] {
    return this.state.carts.items(userId);
  }

  /** By id or number (`Z-000123`). */
  order(ref: number | string): Order | undefined {
    return this.state.orders.find(ref);
  }

  /** By id or number (`R-000001`). */
  returnRequest(ref: number | string): ReturnRequest | undefined {
    return this.state.returns.find(ref);
  }

  userByTelegramId(telegramId: number): ShopUser | undefined {
    return this.state.users.byTelegramId(telegramId);
  }

  /** The product as the API shows it (available stock, camelCase). */
  product(id: number): Product | undefined {
    const record = this.state.catalog.get(id);
    return record && this.state.catalog.view(record);
  }

  // ── knobs ────────────────────────────────────────────────────────────────────────────
  /** Changes a product as an exchange from 1C would; it gets a new, later `updatedAt`. */
  updateProduct(id: number, patch: ProductPatch): Product {
    return this.state.catalog.view(this.state.catalog.update(id, patch));
  }

  /** Sets the on-hand quantity of a product in a store (`central`, `north`, …). */
  setStock(productId: number, store: string, quantity: number): Product {
    return this.state.catalog.view(this.state.catalog.setStock(productId, store, quantity));
  }

  /**
   * Moves an order forward to `status` through every status in between (each one gets a
   * history entry and shows in `sale.order.changes`), or cancels it (`cancelled`).
   */
  advanceOrder(ref: number | string, status: OrderStatus): Order {
    return this.state.orders.advance(ref, status);
  }

  /** What opening the payment link does. */
  payOrder(ref: number | string): Order {
    return this.state.orders.pay(ref).order;
  }

  /** A manager's decision on a return. */
  resolveReturn(ref: number | string, status: 'accepted' | 'rejected', comment?: string): ReturnRequest {
    return this.state.returns.resolve(ref, status, comment);
  }

  /** Logs a Telegram user in without the widget hash: a token for tests. */
  login(user: { id: number; first_name?: string; last_name?: string; username?: string; photo_url?: string }): LoginResult {
    return this.state.users.login(user);
  }

  /** Login Widget data for `user`, signed with this sandbox's bot token (auth_date = now unless given). */
  signTelegramLogin(user: { id: number; first_name?: string; last_name?: string; username?: string; photo_url?: string; auth_date?: number }): TelegramLoginData {
    return signTelegramLogin({ ...user, auth_date: user.auth_date ?? this.state.clock.nowSeconds() }, this.botToken);
  }

  /**
   * Orders of the same user with the same lines (product and quantity) created within
   * `windowMs` of each other: what a middleware that lost idempotency would leave behind.
   */
  suspectedDuplicateOrders(windowMs = 60_000): Order[][] {
    const groups = new Map<string, Order[]>();
    for (const order of this.orders) {
      const lines = order.items
        .map((i) => `${i.productId}x${i.quantity}`)
        .sort()
        .join(',');
      const key = `${order.userId}|${order.delivery}|${order.paymentType}|${lines}`;
      groups.set(key, [...(groups.get(key) ?? []), order]);
    }
    const suspects: Order[][] = [];
    for (const group of groups.values()) {
      let cluster: Order[] = [];
      for (const order of group) {
        const previous = cluster[cluster.length - 1];
        if (previous && Date.parse(order.createdAt) - Date.parse(previous.createdAt) > windowMs) {
          if (cluster.length > 1) suspects.push(cluster);
          cluster = [];
        }
        cluster.push(order);
      }
      if (cluster.length > 1) suspects.push(cluster);
    }
    return suspects;
  }

  /** Empties users, baskets, orders and returns, reloads the catalog, zeroes the counters. */
  reset(): void {
    this.state.returns.clear();
    this.state.orders.clear();
    this.state.carts.clear();
    this.state.users.clear();
    this.state.catalog.reload();
    Object.assign(this.counters, zeroCounters());
  }
}

export function createShopSandbox(options: ShopSandboxOptions = {}): ShopSandbox {
  return new ShopSandbox(options);
}
