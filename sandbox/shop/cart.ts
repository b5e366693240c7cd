import type { CatalogStore } from './catalog';
import { outOfStock } from './catalog';
import type { ShopClock } from './clock';
import { conflict, notFound } from './errors';
import type { CartItem } from './types';

/** A basket line as the API shows it: master price (`priceMaster`), and what is still available. */
export interface CartItemView {
  id: number;
  productId: number;
  name: string;
  article: string | null;
  quantity: number;
  price: number;
  sum: number;
  currency: 'RUB';
  available: number;
  updatedAt: string;
}

export interface BasketSummary {
  items: CartItemView[];
  quantity: number;
  price: number;
  currency: 'RUB';
}

/** One basket per user. Adding a product already in the basket adds to its line, as Bitrix does. */
export class CartStore {
  private readonly carts = new Map<number, CartItem[]>();
  private nextItemId = 1;

  constructor(
    private readonly catalog: CatalogStore,
    private readonly clock: ShopClock,
  ) {}

  items(userId: number): CartItem[] {
    return this.carts.get(userId) ?? [];
  }

  all(): ReadonlyMap<number, readonly CartItem[]> {
    return this.carts;
  }

  clear(userId?: number): void {
    if (userId === undefined) {
      this.carts.clear();
      this.nextItemId = 1;
    } else {
      this.carts.delete(userId);
    }
  }

  add(userId: number, productId: number, quantity: number): CartItem {
    const product = this.catalog.require(productId);
    if (!product.active) throw conflict('PRODUCT_NOT_AVAILABLE', `Product ${productId} is not sold any more`);
    const items = this.items(userId);
    const existing = items.find((item) => item.productId === productId);
    const wanted = (existing?.quantity ?? 0) + quantity;
    const available = this.catalog.available(product);
    if (wanted > available) throw outOfStock(product, wanted, available);
    const at = this.clock.now().toISOString();
    if (existing) {
      existing.quantity = wanted;
      existing.updatedAt = at;
      return existing;
    }
    const item: CartItem = { id: this.nextItemId++, userId, productId, quantity, createdAt: at, updatedAt: at };
    this.carts.set(userId, [...items, item]);
    return item;
  }

  update(userId: number, itemId: number, quantity: number): CartItem {
    const item = this.require(userId, itemId);
    const product = this.catalog.require(item.productId);
    const available = this.catalog.available(product);
    if (quantity > available) throw outOfStock(product, quantity, available);
    item.quantity = quantity;
    item.updatedAt = this.clock.now().toISOString();
    return item;
  }

  remove(userId: number, itemId: number): void {
    this.require(userId, itemId);
    this.carts.set(
      userId,
      this.items(userId).filter((item) => item.id !== itemId),
    );
  }

  view(item: CartItem): CartItemView {
    const product = this.catalog.get(item.productId);
    const price = product?.priceMaster ?? 0;
    return {
      id: item.id,
      productId: item.productId,
      name: product?.name ?? `#${item.productId}`,
      article: product?.article ?? null,
      quantity: item.quantity,
      price,
      sum: price * item.quantity,
      currency: 'RUB',
      available: product ? this.catalog.available(product) : 0,
      updatedAt: item.updatedAt,
    };
  }

  summary(userId: number): BasketSummary {
    const items = this.items(userId).map((item) => this.view(item));
    return {
      items,
      quantity: items.reduce((sum, item) => sum + item.quantity, 0),
      price: items.reduce((sum, item) => sum + item.sum, 0),
      currency: 'RUB',
    };
  }

  private require(userId: number, itemId: number): CartItem {
    const item = this.items(userId).find((i) => i.id === itemId);
    if (!item) throw notFound('BASKET_ITEM_NOT_FOUND', `Basket item ${itemId} not found`);
    return item;
  }
}
