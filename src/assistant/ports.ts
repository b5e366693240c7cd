/**
 * What the assistant needs from the rest of the middleware, as small interfaces ("ports"). The
 * core (handle-update.ts and handlers/) depends only on these; adapters.ts maps the real modules
 * (catalog search service, shop client, auth runtime, howto, rate limiter, outbound queue) onto
 * them, and tests may give fakes. Every port that talks to the shop throws PortError.
 */

// ── errors ──────────────────────────────────────────────────────────────────────────
/**
 * - unavailable: the shop (or another upstream) did not answer usefully; degrade or queue.
 * - unauthorized: the user's shop token is missing, expired or refused; ask to link again.
 * - business: the shop understood and refused (`code` = its error code, e.g. OUT_OF_STOCK).
 */
export type PortErrorKind = 'unavailable' | 'unauthorized' | 'business';

export class PortError extends Error {
  override readonly name = 'PortError';
  readonly portErrorKind: PortErrorKind;
  readonly code: string | undefined;
  constructor(kind: PortErrorKind, message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.portErrorKind = kind;
    this.code = code;
  }
}

/** Brand check (node bundles carry their own copy of this class: never `instanceof`). */
export function portErrorKind(error: unknown): PortErrorKind | undefined {
  const kind = typeof error === 'object' && error !== null ? (error as { portErrorKind?: unknown }).portErrorKind : undefined;
  return kind === 'unavailable' || kind === 'unauthorized' || kind === 'business' ? kind : undefined;
}

export function portErrorCode(error: unknown): string | undefined {
  return portErrorKind(error) ? (error as PortError).code : undefined;
}

// ── catalog ─────────────────────────────────────────────────────────────────────────
export interface CatalogItem {
  readonly id: number;
  readonly name: string;
  readonly quality: string | null;
  /** Price for masters, ₽ (what the shop charges in the bot). */
  readonly priceMaster: number | null;
  /** Units that can be ordered, all stores. */
  readonly stockTotal: number;
  readonly models: readonly string[];
  readonly partType?: string | null;
}

export interface CatalogSearch {
  readonly items: readonly CatalogItem[];
  /** Close matches when `items` is empty. */
  readonly suggestions: readonly CatalogItem[];
  /** One Russian line: how the query was read ("Понял: Дисплей · Apple iPhone 11"). */
  readonly explanation?: string;
  /** The query named something the catalog knows (a part type, model, brand, code); false for gibberish. */
  readonly understood: boolean;
  /** Device models the query was read as (the "user's model" for kits). */
  readonly models: readonly string[];
  /** When prices and stock were last synced with the shop (ISO), null before the first sync. */
  readonly asOf: string | null;
  /** The shop is unreachable or the cache is stale: prices and stock are as of `asOf`. */
  readonly degraded: boolean;
}

export interface CompatByItem {
  readonly item: CatalogItem | null;
  /** Models the part fits. */
  readonly models: readonly string[];
}

export interface CompatPart extends CatalogItem {
  /** Other models the part also fits (a shared part). */
  readonly sharedWith: readonly string[];
}

export interface CompatByModel {
  /** Models the text was read as; empty when none is known. */
  readonly models: readonly string[];
  /** Parts that fit, grouped by part type, in stock first. */
  readonly parts: readonly CompatPart[];
  /** Part type → Russian label. */
  readonly partTypes: Readonly<Record<string, string>>;
  /** Other models sharing at least one part. */
  readonly sharedModels: readonly string[];
  readonly total: number;
}

export interface CatalogPort {
  search(query: string, options: { limit: number }): Promise<CatalogSearch>;
  getItem(id: number): Promise<CatalogItem | null>;
  compatByItem(id: number): Promise<CompatByItem>;
  compatByModel(text: string): Promise<CompatByModel>;
}

// ── shop (the user's token per call) ────────────────────────────────────────────────
export interface CartLine {
  /** Basket item id (for ± and remove). */
  readonly id: number;
  readonly productId: number;
  readonly name: string;
  readonly quantity: number;
  readonly price: number;
  readonly sum: number;
  readonly available: number;
}

export interface Cart {
  readonly lines: readonly CartLine[];
  readonly quantity: number;
  readonly total: number;
}

export type OrderStatus = 'new' | 'confirmed' | 'assembling' | 'handed_to_courier' | 'delivered' | 'cancelled';

export interface OrderLine {
  readonly id: number;
  readonly productId: number;
  readonly name: string;
  readonly quantity: number;
  readonly price: number;
  readonly sum: number;
}

export interface Order {
  readonly id: number;
  readonly number: string;
  readonly status: OrderStatus | string;
  readonly history: readonly { readonly status: string; readonly at: string }[];
  readonly paymentType: 'prepaid' | 'cod' | string;
  readonly delivery: 'courier' | 'pickup' | string;
  readonly address: string | null;
  readonly trackingNumber: string | null;
  readonly lines: readonly OrderLine[];
  readonly total: number;
  readonly paid: boolean;
  readonly paymentUrl?: string;
  readonly createdAt: string;
}

export interface CreateOrderRequest {
  readonly paymentType: 'prepaid' | 'cod';
  readonly delivery: 'courier' | 'pickup';
  readonly address?: string;
  readonly phone?: string;
  readonly comment?: string;
  /** Idempotency key: the same id returns the first order. */
  readonly externalId: string;
}

export interface ReturnRequestInput {
  readonly orderId: number | string;
  readonly itemId: number;
  readonly quantity: number;
  readonly reason: string;
  readonly photos: readonly string[];
  readonly externalId: string;
}

export interface ReturnRequest {
  readonly id: number;
  readonly number: string;
  readonly orderNumber: string;
  readonly name: string;
  readonly quantity: number;
  readonly status: string;
}

export interface ShopPort {
  cart(token: string): Promise<Cart>;
  addToCart(token: string, productId: number, quantity: number): Promise<Cart>;
  setCartQuantity(token: string, lineId: number, quantity: number): Promise<Cart>;
  removeFromCart(token: string, lineId: number): Promise<Cart>;
  createOrder(token: string, request: CreateOrderRequest): Promise<Order>;
  /** Newest first. */
  listOrders(token: string, options: { limit: number }): Promise<Order[]>;
  /** By id or number (`Z-000123`). */
  getOrder(token: string, ref: number | string): Promise<Order>;
  createReturn(token: string, input: ReturnRequestInput): Promise<ReturnRequest>;
}

// ── users ───────────────────────────────────────────────────────────────────────────
export interface AssistantUser {
  readonly telegramUserId: number | undefined;
  readonly linked: boolean;
  /** The shop's token (X-User-Token), in memory only. */
  readonly shopToken?: string;
}

export interface UsersPort {
  /** Never throws for "not linked"; throws only when the lookup itself failed. */
  lookup(telegramUserId: number): Promise<AssistantUser>;
}

// ── howto ───────────────────────────────────────────────────────────────────────────
export interface Kit {
  /** The tip's id (callback `kit:<topic>`). */
  readonly topic: string;
  /** What the kit is, for the message. */
  readonly title: string;
  /** Search queries in order: the model's parts (when the model is known), then tools. */
  readonly queries: readonly string[];
  /** A ready-made kit product, searched first when the model is known. */
  readonly bundle?: string;
  /** Part queries for the model (a subset of `queries`). */
  readonly parts: readonly string[];
  /** Tool and consumable queries (a subset of `queries`). */
  readonly tools: readonly string[];
  /** The parts need a model and none is known yet. */
  readonly needsModel: boolean;
  readonly model?: string;
}

export interface HowtoAnswer {
  readonly topic: string;
  readonly title: string;
  readonly steps: readonly string[];
  readonly safety: readonly string[];
  readonly kit: Kit;
  readonly model?: string;
  readonly source: 'llm' | 'curated';
}

export interface HowtoPort {
  answer(question: string, options: { model?: string; correlationId?: string }): Promise<HowtoAnswer>;
  /** The kit of a topic for a model (undefined: unknown topic). */
  kit(topic: string, model?: string): Promise<Kit | undefined>;
}

// ── the rest ────────────────────────────────────────────────────────────────────────
export interface RateDecision {
  readonly allowed: boolean;
  readonly retryAfterSeconds: number;
}

export interface QueuedOrder {
  readonly telegramUserId: number;
  readonly chatId: number;
  readonly request: CreateOrderRequest;
  readonly correlationId?: string;
}

export interface ManagerRequest {
  readonly chatId: number;
  readonly telegramUserId?: number;
  readonly firstName?: string;
  readonly username?: string;
  readonly linked: boolean;
  /** What the master is looking for. */
  readonly text: string;
  readonly correlationId?: string;
}

export interface AssistantPorts {
  readonly catalog: CatalogPort;
  readonly shop: ShopPort;
  readonly users: UsersPort;
  /** Absent: /howto answers that tips are not available. */
  readonly howto?: HowtoPort;
  /** Per-user message budget; absent or failing: no limit. */
  readonly rateLimit?: (principal: string) => Promise<RateDecision>;
  /** Durably queues an order while the shop is down (re-sent with the same externalId). Absent: the user is asked to retry. */
  readonly queueOrder?: (order: QueuedOrder) => Promise<{ readonly id: string | number }>;
  /** Hands a "bring it under order" request to a manager. Absent: the offer is not shown. */
  readonly requestManager?: (request: ManagerRequest) => Promise<void>;
  /** A public http(s) URL of a Telegram file (return photos) the shop can fetch; never one with the bot token. */
  readonly photoUrl?: (fileId: string) => Promise<string> | string;
}
