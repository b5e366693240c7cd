import { performance } from 'node:perf_hooks';
import type { IndexedItem } from '../search/catalog-index';
import { defaultDictionaries, type Dictionaries } from '../search/dictionaries';
import { SearchEngine } from '../search/engine';
import type { DeviceInfo, Interpretation, ScoredItem } from '../search/types';
import { itemView, searchableChanged, stockTotal, toCatalogItem, type CatalogItemView, type CatalogRow } from './rows';

export const MAX_SEARCH_LIMIT = 50;
export const DEFAULT_SEARCH_LIMIT = 10;
export const DEFAULT_COMPAT_LIMIT = 100;

export interface EngineSearchOptions {
  limit?: number;
  suggestionLimit?: number;
}

export interface FoundItem extends CatalogItemView {
  score: number;
}

export interface EngineSearchResult {
  query: string;
  items: FoundItem[];
  nothingFound: boolean;
  /** Close alternatives when nothing matches. */
  suggestions: FoundItem[];
  /** One line in Russian: how the query was read. */
  explanation: string;
  interpretation: Interpretation;
  tookMs: number;
}

/** `{itemId}`: which models a part fits; `{model}`: which parts fit a model ("редми 9а", "дисплей iphone 11"). */
export interface CompatRequest {
  itemId?: number;
  model?: string;
  /** Only parts of this type (`display`, `battery`…), for `{model}`. */
  partType?: string;
  limit?: number;
}

export interface CompatPart extends CatalogItemView {
  /** Other models this part also fits (a shared part such as "Redmi 9A / 9C / 10A"). */
  sharedWith: string[];
}

export interface CompatResult {
  kind: 'item' | 'model';
  /** The part asked about ({itemId}). */
  item?: CatalogItemView;
  /** {itemId}: the models the part fits; {model}: the models the query was read as. */
  models: string[];
  /** {model}: parts that fit, grouped by part type (labels in `partTypes`), in stock first. */
  parts: CompatPart[];
  /** {model}: other models sharing at least one part with the asked model(s). */
  sharedModels: string[];
  /** Part type → Russian label, for the types present in `parts`. */
  partTypes: Record<string, string>;
  /** Found parts before `limit`. */
  total: number;
  explanation: string;
}

export interface BuildInfo {
  items: number;
  indexed: number;
  loadMs: number;
  buildMs: number;
  /** Newest synced_at of the loaded rows (ISO), the catch-up watermark. */
  watermark: string | null;
}

export interface PatchInfo {
  patched: number;
  /** Rows the engine knows after the patch (indexed or not). */
  size: number;
  /** New items or changed searchable fields: the index must be rebuilt to find them by text. */
  structural: boolean;
}

const clampLimit = (value: unknown, fallback: number, max: number): number => {
  const n = Math.floor(Number(value));
  return Number.isFinite(n) && n >= 1 ? Math.min(n, max) : fallback;
};

/**
 * The search engine over one snapshot of the catalog cache, plus what changes between rebuilds:
 * prices and stock are patched in place (answers show them at once, and "in stock first" uses
 * them); deactivated or removed items are hidden; new items and changed names/models need a
 * rebuild (patch() says so). Runs in a worker thread (engine-worker.ts) or inline.
 */
export class EngineCore {
  private readonly rows = new Map<number, CatalogRow>();
  private readonly indexed = new Map<number, IndexedItem>();
  private readonly hidden = new Set<number>();
  private readonly dicts: Dictionaries;

  private constructor(
    private readonly engine: SearchEngine,
    rows: readonly CatalogRow[],
    dicts: Dictionaries,
  ) {
    this.dicts = dicts;
    for (const row of rows) this.rows.set(row.id, row);
    for (const ix of engine.index.items) this.indexed.set(ix.item.id, ix);
  }

  /** Rows in id order (the engine ranks ties by catalog order); inactive rows are kept for look-ups only. */
  static build(rows: readonly CatalogRow[], devices: readonly DeviceInfo[], dicts: Dictionaries = defaultDictionaries()): EngineCore {
    const items = rows.filter((r) => r.active).map(toCatalogItem);
    return new EngineCore(SearchEngine.fromCatalog(items, [...devices], dicts), rows, dicts);
  }

  get size(): number {
    return this.rows.size;
  }

  get indexedCount(): number {
    return this.indexed.size;
  }

  patch(rows: readonly CatalogRow[], removedIds: readonly number[] = []): PatchInfo {
    let structural = false;
    let patched = 0;
    for (const row of rows) {
      const before = this.rows.get(row.id);
      this.rows.set(row.id, row);
      patched++;
      const ix = this.indexed.get(row.id);
      if (!ix) {
        if (row.active) structural = true;
        continue;
      }
      if (before && searchableChanged(before, row)) structural = true;
      // In place: the view reads the row; ranking reads inStock.
      ix.item.price = row.price;
      ix.item.price_master = row.price_master;
      ix.item.stock = { ...row.stock };
      ix.inStock = stockTotal(row.stock) > 0;
      if (row.active) this.hidden.delete(row.id);
      else this.hidden.add(row.id);
    }
    for (const id of removedIds) {
      this.rows.delete(id);
      if (this.indexed.has(id)) this.hidden.add(id);
      patched++;
    }
    return { patched, structural, size: this.rows.size };
  }

  search(query: string, options: EngineSearchOptions = {}): EngineSearchResult {
    const t0 = performance.now();
    const limit = clampLimit(options.limit, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT);
    const suggestionLimit = clampLimit(options.suggestionLimit, 5, MAX_SEARCH_LIMIT);
    // Hidden items may take places in the engine's answer: ask for a few more.
    const extra = Math.min(this.hidden.size, MAX_SEARCH_LIMIT);
    const r = this.engine.search(query, { limit: limit + extra, suggestionLimit: suggestionLimit + extra });
    const items = this.found(r.items).slice(0, limit);
    const suggestions = this.found(r.suggestions).slice(0, suggestionLimit);
    return {
      query,
      items,
      nothingFound: items.length === 0,
      suggestions: items.length === 0 ? suggestions : [],
      explanation: r.explanation,
      interpretation: r.interpretation,
      tookMs: Math.round((performance.now() - t0) * 1000) / 1000,
    };
  }

  item(id: number): CatalogItemView | null {
    const row = this.rows.get(id);
    return row ? itemView(row) : null;
  }

  compat(request: CompatRequest): CompatResult {
    const limit = clampLimit(request.limit, DEFAULT_COMPAT_LIMIT, 500);
    if (request.itemId !== undefined && request.itemId !== null) return this.compatOfItem(Number(request.itemId));
    const query = String(request.model ?? '').trim();
    const empty = (explanation: string, models: string[] = []): CompatResult => ({
      kind: 'model',
      models,
      parts: [],
      sharedModels: [],
      partTypes: {},
      total: 0,
      explanation,
    });
    if (!query) return empty('Не указана модель');
    const it = this.engine.interpret(query);
    if (!it.models.length || it.modelMatch === 'unknown' || it.modelMatch === 'family') {
      const what = it.modelMatch === 'family' && it.family.length ? `«${it.family.join(' ')}» — уточните модель` : 'модель не найдена в каталоге';
      return empty(`Совместимость: ${what}`);
    }
    const wantedTypes = new Set([...(request.partType ? [request.partType] : []), ...it.partTypes]);
    const asked = new Set(it.models.map((m) => m.toLowerCase()));
    const seen = new Set<number>();
    const parts: CompatPart[] = [];
    const shared = new Set<string>();
    for (const name of it.models) {
      const entry = this.engine.index.registry.get(name);
      if (!entry) continue;
      for (const pos of this.engine.index.forModel(entry.id)) {
        const ix = this.engine.index.items[pos]!;
        const id = ix.item.id;
        if (seen.has(id) || this.hidden.has(id)) continue;
        seen.add(id);
        const row = this.rows.get(id);
        if (!row) continue;
        if (wantedTypes.size && !wantedTypes.has(ix.partType)) continue;
        const sharedWith = row.models.filter((m) => !asked.has(m.toLowerCase()));
        for (const m of sharedWith) shared.add(m);
        parts.push({ ...itemView(row), sharedWith });
      }
    }
    const typeOrder = Object.keys(this.dicts.partTypes.types);
    const rank = (t: string | null): number => {
      const i = typeOrder.indexOf(t ?? '');
      return i < 0 ? typeOrder.length : i;
    };
    parts.sort((a, b) => rank(a.partType) - rank(b.partType) || Number(b.inStock) - Number(a.inStock) || a.id - b.id);
    const shown = parts.slice(0, limit);
    const partTypes: Record<string, string> = {};
    for (const p of shown) if (p.partType) partTypes[p.partType] = this.dicts.partTypes.types[p.partType]?.label ?? p.partType;
    const sharedParts = parts.filter((p) => p.sharedWith.length).length;
    const explanation =
      `Совместимость: ${it.models.join(', ')}` +
      (wantedTypes.size ? ` · ${[...wantedTypes].map((t) => this.dicts.partTypes.types[t]?.label ?? t).join(' / ')}` : '') +
      `. Подходит: ${parts.length}` +
      (sharedParts ? `, из них общих с другими моделями: ${sharedParts} (${[...shared].slice(0, 6).join(', ')}${shared.size > 6 ? '…' : ''})` : '');
    return { kind: 'model', models: it.models, parts: shown, sharedModels: [...shared].sort(), partTypes, total: parts.length, explanation };
  }

  private compatOfItem(id: number): CompatResult {
    const row = this.rows.get(id);
    if (!row) {
      return { kind: 'item', models: [], parts: [], sharedModels: [], partTypes: {}, total: 0, explanation: `Товар ${id} не найден в каталоге` };
    }
    const item = itemView(row);
    const explanation = row.models.length
      ? `«${row.name}» подходит для: ${row.models.join(', ')}`
      : `Для «${row.name}» совместимые модели не указаны`;
    return { kind: 'item', item, models: [...row.models], parts: [], sharedModels: row.models.length > 1 ? [...row.models] : [], partTypes: {}, total: row.models.length, explanation };
  }

  private found(scored: readonly ScoredItem[]): FoundItem[] {
    const out: FoundItem[] = [];
    for (const s of scored) {
      if (this.hidden.has(s.id)) continue;
      const row = this.rows.get(s.id);
      if (row) out.push({ ...itemView(row), score: s.score });
    }
    return out;
  }
}
