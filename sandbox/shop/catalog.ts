import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ShopClock } from './clock';
import { conflict, invalidArgument, notFound } from './errors';
import type { FieldSpecs } from './query';
import type { CatalogCard, Product, ProductPatch, ProductRecord } from './types';

/** The catalog the sandbox loads unless told otherwise (the shop export of SPEC §5). */
export const DEFAULT_CATALOG_FILE = path.resolve(__dirname, '../../test/fixtures/catalog.jsonl');

export const STORE_NAMES: Readonly<Record<string, string>> = {
  central: 'Центральный склад',
  north: 'Склад «Север»',
};

/** Fields of a product that `filter`, `order` and `select` accept. */
export const PRODUCT_FIELDS: FieldSpecs = {
  id: 'int',
  xmlId: 'string',
  code: 'string',
  article: 'string',
  name: 'string',
  section: 'string',
  partType: 'string',
  brand: 'string',
  models: 'list',
  quality: 'string',
  color: 'string',
  price: 'number',
  priceMaster: 'number',
  barcode: 'string',
  active: 'bool',
  quantity: 'int',
  updatedAt: 'date',
};

export function readCatalogFile(file: string): CatalogCard[] {
  const cards: CatalogCard[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line.trim() === '') return;
      let card: CatalogCard;
      try {
        card = JSON.parse(line) as CatalogCard;
      } catch (error) {
        throw new Error(`${file}:${index + 1}: not JSON (${(error as Error).message})`);
      }
      if (!Number.isSafeInteger(card.id) || typeof card.name !== 'string' || typeof card.price !== 'number') {
        throw new Error(`${file}:${index + 1}: a card needs an integer id, a name and a price`);
      }
      cards.push(card);
    });
  return cards;
}

export interface StockLine {
  productId: number;
  quantity: number;
}

export class CatalogStore {
  private readonly products = new Map<number, ProductRecord>();

  constructor(
    private readonly cards: readonly CatalogCard[],
    private readonly clock: ShopClock,
  ) {
    this.reload();
  }

  /** Back to the loaded file. Initial `updatedAt` values are distinct (1 ms apart, in file order). */
  reload(): void {
    this.products.clear();
    const base = this.clock.now().getTime() - this.cards.length;
    this.cards.forEach((card, index) => {
      const stock = Object.fromEntries(Object.entries(card.stock ?? {}).map(([store, qty]) => [store, Math.max(0, Math.trunc(qty))]));
      this.products.set(card.id, {
        id: card.id,
        xmlId: card.xml_id,
        code: card.code ?? null,
        article: card.article ?? null,
        name: card.name,
        section: card.section ?? null,
        partType: card.part_type ?? null,
        brand: card.brand ?? null,
        models: [...(card.models ?? [])],
        quality: card.quality ?? null,
        color: card.color ?? null,
        price: card.price,
        priceMaster: card.price_master ?? card.price,
        barcode: card.barcode ?? null,
        active: true,
        stock,
        reserved: Object.fromEntries(Object.keys(stock).map((store) => [store, 0])),
        updatedAt: this.clock.stampAt(base + index + 1),
      });
    });
  }

  get size(): number {
    return this.products.size;
  }

  all(): ProductRecord[] {
    return [...this.products.values()];
  }

  get(id: number): ProductRecord | undefined {
    return this.products.get(id);
  }

  require(id: number): ProductRecord {
    const product = this.products.get(id);
    if (!product) throw notFound('PRODUCT_NOT_FOUND', `Product ${id} not found`);
    return product;
  }

  /** Stores known to the catalog, `central` first. */
  stores(): string[] {
    const names = new Set<string>(Object.keys(STORE_NAMES));
    for (const product of this.products.values()) for (const store of Object.keys(product.stock)) names.add(store);
    return [...names];
  }

  availableIn(product: ProductRecord, store: string): number {
    return Math.max(0, (product.stock[store] ?? 0) - (product.reserved[store] ?? 0));
  }

  available(product: ProductRecord): number {
    return Object.keys(product.stock).reduce((sum, store) => sum + this.availableIn(product, store), 0);
  }

  view(product: ProductRecord): Product {
    return {
      id: product.id,
      xmlId: product.xmlId,
      code: product.code,
      article: product.article,
      name: product.name,
      section: product.section,
      partType: product.partType,
      brand: product.brand,
      models: [...product.models],
      quality: product.quality,
      color: product.color,
      price: product.price,
      priceMaster: product.priceMaster,
      currency: 'RUB',
      barcode: product.barcode,
      active: product.active,
      quantity: this.available(product),
      stock: Object.fromEntries(Object.keys(product.stock).map((store) => [store, this.availableIn(product, store)])),
      updatedAt: product.updatedAt,
    };
  }

  /** Changes a product as 1C would on an exchange; it gets a new `updatedAt`. */
  update(id: number, patch: ProductPatch): ProductRecord {
    const product = this.require(id);
    const { stock, ...fields } = patch;
    for (const key of ['price', 'priceMaster'] as const) {
      const value = fields[key];
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
        throw invalidArgument(`${key} must be a non-negative number`);
      }
    }
    if (fields.name !== undefined && (typeof fields.name !== 'string' || fields.name.trim() === '')) throw invalidArgument('name must not be empty');
    const known = new Set(['name', 'code', 'article', 'section', 'partType', 'brand', 'models', 'quality', 'color', 'price', 'priceMaster', 'barcode', 'active']);
    for (const key of Object.keys(fields)) if (!known.has(key)) throw invalidArgument(`Product field "${key}" cannot be changed`);
    Object.assign(product, fields, fields.models ? { models: [...fields.models] } : {});
    if (stock) for (const [store, qty] of Object.entries(stock)) this.writeStock(product, store, qty);
    this.touch(product);
    return product;
  }

  /** Sets the on-hand quantity in a store (reservations stay; available = on hand − reserved). */
  setStock(id: number, store: string, quantity: number): ProductRecord {
    const product = this.require(id);
    this.writeStock(product, store, quantity);
    this.touch(product);
    return product;
  }

  /**
   * Reserves every line or none: throws OUT_OF_STOCK naming the first product short of stock.
   * Units come from `preferredStore` first, then from the other stores in `stores()` order.
   */
  reserve(lines: readonly StockLine[], preferredStore?: string): Record<string, number>[] {
    const wanted = new Map<number, number>();
    for (const line of lines) wanted.set(line.productId, (wanted.get(line.productId) ?? 0) + line.quantity);
    for (const [productId, quantity] of wanted) {
      const product = this.require(productId);
      if (!product.active) throw conflict('PRODUCT_NOT_AVAILABLE', `Product ${productId} is not sold any more`);
      const available = this.available(product);
      if (quantity > available) throw outOfStock(product, quantity, available);
    }
    const order = this.stores();
    if (preferredStore) order.sort((a, b) => Number(b === preferredStore) - Number(a === preferredStore));
    return lines.map((line) => {
      const product = this.require(line.productId);
      const allocation: Record<string, number> = {};
      let left = line.quantity;
      for (const store of order) {
        const take = Math.min(left, this.availableIn(product, store));
        if (take <= 0) continue;
        allocation[store] = take;
        product.reserved[store] = (product.reserved[store] ?? 0) + take;
        left -= take;
        if (left === 0) break;
      }
      this.touch(product);
      return allocation;
    });
  }

  /** An order was cancelled before shipping: the reservation goes back. */
  release(productId: number, allocation: Record<string, number>): void {
    this.adjust(productId, allocation, (product, store, qty) => {
      product.reserved[store] = Math.max(0, (product.reserved[store] ?? 0) - qty);
    });
  }

  /** The units left the warehouse: reserved and on-hand both go down. */
  ship(productId: number, allocation: Record<string, number>): void {
    this.adjust(productId, allocation, (product, store, qty) => {
      product.reserved[store] = Math.max(0, (product.reserved[store] ?? 0) - qty);
      product.stock[store] = Math.max(0, (product.stock[store] ?? 0) - qty);
    });
  }

  /** Shipped units came back (an order cancelled on the road). */
  restock(productId: number, allocation: Record<string, number>): void {
    this.adjust(productId, allocation, (product, store, qty) => {
      product.stock[store] = (product.stock[store] ?? 0) + qty;
    });
  }

  private adjust(productId: number, allocation: Record<string, number>, apply: (p: ProductRecord, store: string, qty: number) => void): void {
    const product = this.products.get(productId);
    if (!product) return;
    for (const [store, qty] of Object.entries(allocation)) apply(product, store, qty);
    this.touch(product);
  }

  private writeStock(product: ProductRecord, store: string, quantity: number): void {
    if (typeof store !== 'string' || !/^[a-z0-9_-]{1,40}$/i.test(store)) throw invalidArgument('store must be a store code such as "central"');
    if (!Number.isSafeInteger(quantity) || quantity < 0) throw invalidArgument('quantity must be a non-negative integer');
    product.stock[store] = quantity;
    product.reserved[store] ??= 0;
  }

  private touch(product: ProductRecord): void {
    product.updatedAt = this.clock.stamp();
  }
}

export function outOfStock(product: ProductRecord, wanted: number, available: number) {
  return conflict('OUT_OF_STOCK', `Product ${product.id} "${product.name}": requested ${wanted}, available ${available}`);
}
