import type { CatalogItem } from '../search/types';
import type { ShopProduct } from '../shop/types';

/** A row of `catalog_items` as the middleware reads it (numbers as numbers, instants as ISO). */
export interface CatalogRow {
  id: number;
  xml_id: string | null;
  code: string | null;
  article: string | null;
  name: string;
  section: string | null;
  part_type: string | null;
  brand: string | null;
  models: string[];
  quality: string | null;
  color: string | null;
  price: number | null;
  price_master: number | null;
  currency: string;
  stock: Record<string, number>;
  quantity: number;
  barcode: string | null;
  active: boolean;
  updated_at_source: string;
  synced_at: string;
}

/** The row written for a shop product (stock as JSON text: knex would turn objects into arrays otherwise). */
export type CatalogInsertRow = Omit<CatalogRow, 'stock' | 'synced_at'> & { stock: string };

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

function cleanStock(stock: unknown): Record<string, number> {
  if (!stock || typeof stock !== 'object' || Array.isArray(stock)) return {};
  const out: Record<string, number> = {};
  for (const [store, qty] of Object.entries(stock as Record<string, unknown>)) {
    const n = num(qty);
    if (n !== null) out[store] = Math.max(0, Math.trunc(n));
  }
  return out;
}

export function stockTotal(stock: Record<string, number>): number {
  return Object.values(stock).reduce((sum, q) => sum + (q > 0 ? q : 0), 0);
}

/** A shop product as a cache row. Throws on a product without id, name or updatedAt (the page is refused). */
export function rowFromProduct(p: ShopProduct): CatalogInsertRow {
  if (!Number.isSafeInteger(p.id) || typeof p.name !== 'string' || Number.isNaN(Date.parse(p.updatedAt))) {
    throw new Error(`shop product ${JSON.stringify((p as { id?: unknown }).id)} lacks id, name or updatedAt`);
  }
  const stock = cleanStock(p.stock);
  return {
    id: p.id,
    xml_id: str(p.xmlId),
    code: str(p.code),
    article: str(p.article),
    name: p.name,
    section: str(p.section),
    part_type: str(p.partType),
    brand: str(p.brand),
    models: Array.isArray(p.models) ? p.models.filter((m): m is string => typeof m === 'string' && m !== '') : [],
    quality: str(p.quality),
    color: str(p.color),
    price: num(p.price),
    price_master: num(p.priceMaster) ?? num(p.price),
    currency: str(p.currency) ?? 'RUB',
    stock: JSON.stringify(stock),
    quantity: num(p.quantity) ?? stockTotal(stock),
    barcode: str(p.barcode),
    active: p.active !== false,
    updated_at_source: new Date(p.updatedAt).toISOString(),
  };
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? new Date(v).toISOString() : '');

/** What pg returns (numeric as text, timestamptz as Date, jsonb parsed) as a CatalogRow. */
export function normalizeRow(raw: Record<string, unknown>): CatalogRow {
  const stock = cleanStock(typeof raw.stock === 'string' ? (JSON.parse(raw.stock) as unknown) : raw.stock);
  return {
    id: Number(raw.id),
    xml_id: str(raw.xml_id),
    code: str(raw.code),
    article: str(raw.article),
    name: String(raw.name ?? ''),
    section: str(raw.section),
    part_type: str(raw.part_type),
    brand: str(raw.brand),
    models: Array.isArray(raw.models) ? (raw.models as unknown[]).filter((m): m is string => typeof m === 'string') : [],
    quality: str(raw.quality),
    color: str(raw.color),
    price: num(raw.price),
    price_master: num(raw.price_master),
    currency: str(raw.currency) ?? 'RUB',
    stock,
    quantity: num(raw.quantity) ?? stockTotal(stock),
    barcode: str(raw.barcode),
    active: raw.active !== false,
    updated_at_source: iso(raw.updated_at_source),
    synced_at: iso(raw.synced_at),
  };
}

/** The card the search engine indexes (same shape as the shop export, test/fixtures/catalog.jsonl). */
export function toCatalogItem(row: CatalogRow): CatalogItem {
  return {
    id: row.id,
    xml_id: row.xml_id ?? undefined,
    code: row.code,
    article: row.article,
    name: row.name,
    section: row.section,
    part_type: row.part_type,
    brand: row.brand,
    models: row.models,
    quality: row.quality,
    color: row.color,
    price: row.price,
    price_master: row.price_master,
    stock: { ...row.stock },
    barcode: row.barcode,
  };
}

/** Fields the search index is built from: a change in any of them needs a rebuild, not a patch. */
const SEARCHABLE: readonly (keyof CatalogRow)[] = ['name', 'section', 'part_type', 'brand', 'quality', 'color', 'barcode', 'code', 'article'];

export function searchableChanged(a: CatalogRow, b: CatalogRow): boolean {
  if (SEARCHABLE.some((k) => a[k] !== b[k])) return true;
  if (a.models.length !== b.models.length) return true;
  return a.models.some((m, i) => m !== b.models[i]);
}

/** A catalog item as search answers show it (camelCase, like the shop API). */
export interface CatalogItemView {
  id: number;
  xmlId: string | null;
  code: string | null;
  article: string | null;
  name: string;
  section: string | null;
  partType: string | null;
  brand: string | null;
  models: string[];
  quality: string | null;
  color: string | null;
  /** Retail price. */
  price: number | null;
  /** Price for masters (what the bot shows and the shop charges). */
  priceMaster: number | null;
  currency: string;
  /** Units that can be ordered, per store. */
  stock: Record<string, number>;
  stockTotal: number;
  inStock: boolean;
  barcode: string | null;
  active: boolean;
  /** When the shop last changed this item (as of the cache). */
  updatedAt: string;
}

export function itemView(row: CatalogRow): CatalogItemView {
  const total = stockTotal(row.stock);
  return {
    id: row.id,
    xmlId: row.xml_id,
    code: row.code,
    article: row.article,
    name: row.name,
    section: row.section,
    partType: row.part_type,
    brand: row.brand,
    models: [...row.models],
    quality: row.quality,
    color: row.color,
    price: row.price,
    priceMaster: row.price_master,
    currency: row.currency,
    stock: { ...row.stock },
    stockTotal: total,
    inStock: total > 0,
    barcode: row.barcode,
    active: row.active,
    updatedAt: row.updated_at_source,
  };
}
