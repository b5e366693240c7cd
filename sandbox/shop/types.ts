/** Records of the shop sandbox state. Views returned by the API are built from them. */

/** One line of catalog.jsonl, as the shop exports it (snake_case). */
export interface CatalogCard {
  id: number;
  xml_id: string;
  code: string | null;
  article: string | null;
  name: string;
  section: string | null;
  part_type: string | null;
  brand: string | null;
  models: string[] | null;
  quality: string | null;
  color: string | null;
  price: number;
  price_master: number | null;
  stock: Record<string, number> | null;
  barcode: string | null;
}

export interface ProductRecord {
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
  barcode: string | null;
  active: boolean;
  /** On hand per store. */
  stock: Record<string, number>;
  /** Reserved by orders not yet shipped, per store. */
  reserved: Record<string, number>;
  updatedAt: string;
}

/** A product as the API shows it: `stock` and `quantity` are what can still be ordered. */
export interface Product {
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
  currency: 'RUB';
  barcode: string | null;
  active: boolean;
  quantity: number;
  stock: Record<string, number>;
  updatedAt: string;
}

/** What `updateProduct` may change (camelCase, as in the API). */
export type ProductPatch = Partial<
  Pick<ProductRecord, 'name' | 'code' | 'article' | 'section' | 'partType' | 'brand' | 'models' | 'quality' | 'color' | 'price' | 'priceMaster' | 'barcode' | 'active'>
> & { stock?: Record<string, number> };

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

export interface CartItem {
  id: number;
  userId: number;
  productId: number;
  quantity: number;
  createdAt: string;
  updatedAt: string;
}

export const ORDER_STATUSES = ['new', 'confirmed', 'assembling', 'handed_to_courier', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type PaymentType = 'prepaid' | 'cod';
export type DeliveryType = 'courier' | 'pickup';

export interface StatusEntry<S extends string> {
  status: S;
  at: string;
}

export interface OrderItem {
  id: number;
  productId: number;
  name: string;
  article: string | null;
  quantity: number;
  price: number;
  sum: number;
  /** Where the reserved units come from, per store. */
  allocation: Record<string, number>;
}

export interface Order {
  id: number;
  number: string;
  userId: number;
  status: OrderStatus;
  history: StatusEntry<OrderStatus>[];
  paymentType: PaymentType;
  delivery: DeliveryType;
  address: string | null;
  phone: string | null;
  comment: string | null;
  externalId: string | null;
  pickupStore: string | null;
  trackingNumber: string | null;
  items: OrderItem[];
  price: number;
  currency: 'RUB';
  paid: boolean;
  paidAt: string | null;
  /** Units left the warehouse (handed to the courier, or picked up). */
  shipped: boolean;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
  statusChangedAt: string;
}

export const RETURN_STATUSES = ['requested', 'accepted', 'rejected'] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

export interface ReturnRequest {
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
  status: ReturnStatus;
  history: StatusEntry<ReturnStatus>[];
  comment: string | null;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
  statusChangedAt: string;
}

export interface ShopCounters {
  /** Orders actually created (a replay by `externalId` does not count). */
  ordersCreated: number;
  /** `sale.order.create` calls answered with an existing order because of the same `externalId`. */
  orderReplays: number;
  ordersCancelled: number;
  payments: number;
  returnsCreated: number;
  returnReplays: number;
  usersCreated: number;
  logins: number;
  loginFailures: number;
  tokenFailures: number;
}
