/**
 * Shapes of the company's 1C-Bitrix web shop API as the middleware sees them (camelCase, as the
 * shop sends them; JSON Schemas in contracts/shop/shop-api.json). Only what the middleware reads
 * is typed strictly; the shop may add fields.
 */

export type StoreStock = Record<string, number>;

export interface ShopProduct {
  id: number;
  xmlId: string;
  code: string | null;
  article: string | null;
  name: string;
  section: string | null;
  partType: string | null;
  brand: string | null;
  models: string[];
  quality: string | null;
  color: string | null;
  price: number;
  priceMaster: number;
  currency: string;
  barcode: string | null;
  active: boolean;
  /** Units that can still be ordered, all stores. */
  quantity: number;
  /** Units that can still be ordered, per store. */
  stock: StoreStock;
  updatedAt: string;
}

export interface ShopPrice {
  productId: number;
  price: number;
  priceMaster: number;
  currency: string;
  updatedAt: string;
}

export interface ShopStore {
  id: string;
  name: string;
}

export interface ShopStoreStock {
  storeId: string;
  storeName: string;
  productId: number;
  amount: number;
  quantityReserved: number;
  available: number;
}

/** Telegram Login Widget data, exactly as Telegram signed it. */
export interface TelegramWidgetData {
  id: number | string;
  first_name?: string;
  last_name?: string;
  username?: string;
  photo_url?: string;
  auth_date: number | string;
  hash: string;
  [field: string]: unknown;
}

export interface ShopLoginResult {
  token: string;
  userId: number;
  expiresAt: string;
}

export interface ShopUser {
  id: number;
  telegramId: number;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  photoUrl: string | null;
  createdAt: string;
  lastLoginAt: string;
}

export interface ShopBasketItem {
  id: number;
  productId: number;
  name: string;
  article: string | null;
  quantity: number;
  price: number;
  sum: number;
  currency: string;
  available: number;
  updatedAt: string;
}

export interface ShopBasket {
  items: ShopBasketItem[];
  quantity: number;
  price: number;
  currency: string;
}

export interface ShopBasketChange {
  item?: ShopBasketItem;
  deleted?: boolean;
  basket: ShopBasket;
}

export type ShopOrderStatus = 'new' | 'confirmed' | 'assembling' | 'handed_to_courier' | 'delivered' | 'cancelled';
export type ShopPaymentType = 'prepaid' | 'cod';
export type ShopDeliveryType = 'courier' | 'pickup';

export interface ShopStatusEntry<S extends string> {
  status: S;
  at: string;
}

export interface ShopOrderItem {
  id: number;
  productId: number;
  name: string;
  article: string | null;
  quantity: number;
  price: number;
  sum: number;
}

export interface ShopOrder {
  id: number;
  number: string;
  userId: number;
  status: ShopOrderStatus;
  statusName: string;
  history: ShopStatusEntry<ShopOrderStatus>[];
  paymentType: ShopPaymentType;
  delivery: ShopDeliveryType;
  address: string | null;
  phone: string | null;
  comment: string | null;
  externalId: string | null;
  pickupStore: string | null;
  trackingNumber: string | null;
  items: ShopOrderItem[];
  price: number;
  currency: string;
  paid: boolean;
  paidAt: string | null;
  paymentUrl?: string;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
  statusChangedAt: string;
}

export type ShopReturnStatus = 'requested' | 'accepted' | 'rejected';

export interface ShopReturn {
  id: number;
  number: string;
  userId: number;
  orderId: number;
  orderNumber: string;
  itemId: number;
  productId: number;
  name: string;
  quantity: number;
  reason: string;
  photos: string[];
  status: ShopReturnStatus;
  statusName: string;
  history: ShopStatusEntry<ShopReturnStatus>[];
  comment: string | null;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
  statusChangedAt: string;
}

/** One page of a Bitrix list: `total` and `next` are absent in keyset mode (`start=-1`) and on the last page. */
export interface ShopPage<T> {
  items: T[];
  total?: number;
  next?: number;
}

/** Bitrix list parameters: `filter[<op><field>]`, `order[field]`, `select[]`, `start`. */
export interface ShopListParams {
  filter?: Record<string, unknown>;
  order?: Record<string, 'asc' | 'desc'>;
  select?: string[];
  /** Offset of the page (pages of 50); -1 = first page without counting (keyset paging). */
  start?: number;
}

export interface ProductListParams extends ShopListParams {
  /** Only products changed strictly after this instant (ISO); pages by `updatedAt` ascending, keyset mode. */
  since?: string;
}

export interface CreateOrderInput {
  paymentType: ShopPaymentType;
  delivery: ShopDeliveryType;
  address?: string;
  phone?: string;
  comment?: string;
  /** Our idempotency key: the same id from the same user returns the first order. Required. */
  externalId: string;
  pickupStore?: string;
}

export interface CreateReturnInput {
  /** Order id or number (`Z-000123`). */
  orderId: number | string;
  itemId: number;
  quantity: number;
  reason: string;
  photos?: string[];
  /** Our idempotency key: the same id from the same user returns the first request. */
  externalId?: string;
}

export interface ChangesParams {
  /** Exclusive lower bound (ISO): the greatest `statusChangedAt` already seen. */
  since: string;
  start?: number;
  filter?: Record<string, unknown>;
  select?: string[];
}
