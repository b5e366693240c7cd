// In-memory inverted index over catalog items. Pure data structure: built from
// CatalogItem[] (fixture file today, PostgreSQL catalog cache later) and
// rebuilt wholesale on catalog change; queries never mutate it.
import type { Dictionaries } from './dictionaries';
import { StemMap } from './lexicon';
import { ModelRegistry } from './models';
import { compactCode, foldCase, hasDigit, hasLatin, isDigits, splitChunk, stemCandidates } from './text';
import type { CatalogItem, DeviceInfo } from './types';

export interface IndexedItem {
  item: CatalogItem;
  partType: string;
  modelIds: number[];
  qualityTags: ReadonlySet<string>;
  color: string | null;
  features: ReadonlySet<string>;
  inStock: boolean;
}

export type ExactKind = 'barcode' | 'code' | 'article' | 'id';

/** Postings are ascending arrays of item positions. */
type Postings = number[];

export class CatalogIndex {
  readonly items: IndexedItem[] = [];
  readonly registry: ModelRegistry;
  /** Every word of every name/section, for the vocabulary. */
  readonly nameWords = new Set<string>();
  private readonly byModel = new Map<number, Postings>();
  private readonly byType = new Map<string, Postings>();
  private readonly byStem = new Map<string, Postings>();
  private readonly byCode = new Map<string, Postings>();
  private readonly barcodes = new Map<string, Postings>();
  private readonly oneCCodes = new Map<string, Postings>();
  private readonly ids = new Map<number, number>();
  private readonly colorWords = new StemMap<string>();
  // Items share a handful of quality strings and feature sets: intern them instead of one Set per item.
  private readonly qualityCache = new Map<string, ReadonlySet<string>>();
  private readonly featureCache = new Map<string, ReadonlySet<string>>();
  private readonly featureWords = new StemMap<string>();

  private constructor(private readonly dicts: Dictionaries) {
    this.registry = new ModelRegistry(dicts.brands);
    this.registry.addVariantWords(Object.keys(dicts.modelWords).filter((w) => w.length >= 2));
    for (const [color, words] of Object.entries(dicts.colors)) for (const w of [color, ...words]) this.colorWords.add(foldCase(w), color);
    for (const f of dicts.features) for (const w of f.itemWords) this.featureWords.add(foldCase(w), f.key);
  }

  static build(items: CatalogItem[], devices: DeviceInfo[], dicts: Dictionaries): CatalogIndex {
    const index = new CatalogIndex(dicts);
    for (const d of devices) index.registry.add(d.model, d.brand, d.model_codes ?? []);
    items.forEach((it) => index.addItem(it));
    return index;
  }

  private addItem(item: CatalogItem): void {
    const pos = this.items.length;
    const nameWords = words(item.name);
    const modelIds = (item.models ?? []).map((m) => this.registry.add(m, item.brand).id);
    const indexed: IndexedItem = {
      item,
      partType: item.part_type ?? 'other',
      modelIds,
      qualityTags: this.qualityTags(item.quality),
      color: this.itemColor(item, nameWords),
      features: this.itemFeatures(nameWords),
      inStock: Object.values(item.stock ?? {}).some((q) => q > 0),
    };
    this.items.push(indexed);
    for (const id of modelIds) add(this.byModel, id, pos);
    add(this.byType, indexed.partType, pos);
    for (const w of [...nameWords, ...codePieces(item.name), ...words(item.section ?? '')]) {
      this.nameWords.add(w);
      for (const s of stemCandidates(w)) add(this.byStem, s, pos);
    }
    for (const c of itemCodes(item, nameWords)) add(this.byCode, c, pos);
    if (item.barcode) add(this.barcodes, item.barcode.replace(/\D/g, ''), pos);
    if (item.code) add(this.oneCCodes, oneCKey(item.code), pos);
    this.ids.set(item.id, pos);
  }

  private qualityTags(quality: string | null | undefined): ReadonlySet<string> {
    const q = foldCase(quality ?? '');
    let tags = this.qualityCache.get(q);
    if (!tags) {
      tags = new Set(this.dicts.qualities.filter((t) => t.itemPatterns.some((p) => q.includes(foldCase(p)))).map((t) => t.tag));
      this.qualityCache.set(q, tags);
    }
    return tags;
  }

  private itemFeatures(nameWords: string[]): ReadonlySet<string> {
    const keys = [...new Set(nameWords.flatMap((w) => this.featureWords.get(w)))].sort();
    const sig = keys.join('|');
    let set = this.featureCache.get(sig);
    if (!set) {
      set = new Set(keys);
      this.featureCache.set(sig, set);
    }
    return set;
  }

  private itemColor(item: CatalogItem, nameWords: string[]): string | null {
    if (item.color) return this.colorWords.get(foldCase(item.color))[0] ?? foldCase(item.color);
    for (const w of nameWords) {
      const c = this.colorWords.get(w)[0];
      if (c) return c;
    }
    return null;
  }

  forModel(modelId: number): Postings {
    return this.byModel.get(modelId) ?? [];
  }

  forType(type: string): Postings {
    return this.byType.get(type) ?? [];
  }

  /** Items whose name contains the word in any inflection. */
  forWord(word: string): Postings {
    const lists = stemCandidates(word).map((s) => this.byStem.get(s) ?? []);
    return union(lists);
  }

  /**
   * Name words containing `fragment` (≥5 letters): compounds such as
   * "термоковрик" for "коврик". Linear in the vocabulary, so only used as a
   * last resort when a word matches nothing.
   */
  wordsContaining(fragment: string): string[] {
    if (fragment.length < 5) return [];
    const out: string[] = [];
    for (const w of this.nameWords) if (w !== fragment && w.includes(fragment)) out.push(w);
    return out;
  }

  forCode(code: string): Postings {
    return this.byCode.get(code) ?? [];
  }

  codeKeys(): IterableIterator<string> {
    return this.byCode.keys();
  }

  hasType(type: string): boolean {
    return this.byType.has(type);
  }

  /** Barcode / 1C code / article / product id typed as the whole query. */
  exactLookup(query: string): { kind: ExactKind; value: string; positions: Postings } | null {
    const compact = compactCode(query);
    if (!compact) return null;
    if (/^\d{8,14}$/.test(compact) && this.barcodes.has(compact)) return { kind: 'barcode', value: compact, positions: this.barcodes.get(compact)! };
    const one = this.oneCCodes.get(oneCKey(compact)) ?? this.oneCCodes.get(oneCKey(latinAsRussianPrefix(compact)));
    if (one && /\d{4,}/.test(compact)) return { kind: 'code', value: compact, positions: one };
    if (/^\d{5,7}$/.test(compact)) {
      const pos = this.ids.get(Number(compact));
      if (pos !== undefined) return { kind: 'id', value: compact, positions: [pos] };
    }
    if (hasDigit(compact) && /^[a-z0-9]+$/.test(compact) && compact.length >= 6) {
      const art = this.byCode.get(compact);
      if (art && art.length === 1 && foldCase(this.items[art[0]!]!.item.article ?? '').replace(/[^a-z0-9]/g, '') === compact) {
        return { kind: 'article', value: compact, positions: art };
      }
    }
    return null;
  }
}

function words(text: string): string[] {
  return foldCase(text).split(/\s+/).flatMap(splitChunk);
}

/** Pieces of hyphenated codes ("B-7000" → b, 7000; "ПОС-61" → пос, 61): people type the number alone too. */
function codePieces(text: string): string[] {
  return foldCase(text)
    .split(/\s+/)
    .filter((c) => c.includes('-') && hasDigit(c))
    .flatMap((c) => c.split('-'))
    .map((p) => p.replace(/[^a-zа-я0-9]/g, ''))
    .filter(Boolean);
}

/** Codes an item can be found by: article and letter+digit tokens of the name (BN62, EB-BA217ABY). */
function itemCodes(item: CatalogItem, nameWords: string[]): string[] {
  const out = new Set<string>();
  if (item.article) out.add(compactCode(item.article));
  for (const w of nameWords) if (hasDigit(w) && /[a-zа-я]/.test(w) && w.length >= 3) out.add(w);
  // Pieces of hyphenated codes ("BA217ABY" of "EB-BA217ABY") are typed on their own too.
  for (const raw of (item.name + ' ' + (item.article ?? '')).split(/\s+/)) {
    for (const part of foldCase(raw).split('-')) {
      const p = part.replace(/[^a-z0-9]/g, '');
      if (p.length >= 4 && hasDigit(p) && hasLatin(p)) out.add(p);
    }
  }
  for (const c of out) if (isDigits(c)) out.delete(c);
  return [...out];
}

/** "УТ-00012345", "ут12345" → "ут:12345" (prefix + number without leading zeros). */
function oneCKey(code: string): string {
  const c = compactCode(code);
  const m = /^([a-zа-я]*)0*(\d+)$/.exec(c);
  return m ? `${m[1]}:${m[2]}` : c;
}

/** "en00012345" typed with the Latin layout → "ут00012345". */
function latinAsRussianPrefix(compact: string): string {
  const map: Record<string, string> = { e: 'у', n: 'т' };
  return compact.replace(/^[a-z]+/, (p) => [...p].map((ch) => map[ch] ?? ch).join(''));
}

function add<K>(m: Map<K, Postings>, k: K, pos: number): void {
  const list = m.get(k);
  if (!list) m.set(k, [pos]);
  else if (list[list.length - 1] !== pos) list.push(pos);
}

/** Sorted union of ascending lists (pairwise merge; lists are few). */
export function union(lists: Postings[]): Postings {
  let acc: Postings = [];
  for (const l of lists) if (l.length) acc = acc.length ? merge(acc, l) : l;
  return acc;
}

function merge(a: Postings, b: Postings): Postings {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Infinity;
    const y = j < b.length ? b[j]! : Infinity;
    if (x <= y) {
      out.push(x);
      i++;
      if (x === y) j++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}

/** Sorted intersection of ascending lists. */
export function intersect(a: Postings, b: Postings): Postings {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! === b[j]!) {
      out.push(a[i]!);
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return out;
}

/** Membership test in an ascending list. */
export function contains(list: Postings, pos: number): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid]!;
    if (v === pos) return true;
    if (v < pos) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
