// Device model registry and model resolution.
//
// A model name is split into FAMILY words (brand, series: "samsung", "galaxy",
// "redmi") and KEY words ("a51", "note", "8t", "pro"). Masters routinely drop
// family words ("а71", "xs макс") but never drop key words, so:
//   * every key word of a model must be present in the query,
//   * family words are optional but, when present, must agree,
//   * among fully named models the most specific wins ("11 pro max" beats "11"),
//   * a key word left unexplained ("15 pro max" when only 15 Pro exists) means the
//     master asked for a model we do not have: answer nothing rather than guess.
import type { BrandDef, BrandsDict } from './dictionaries';
import type { ModelMatch } from './types';
import { compactCode, foldCase, hasDigit, hasLatin, splitChunk } from './text';

export interface ModelEntry {
  id: number;
  name: string;
  brand: string;
  family: Set<string>;
  keys: string[];
}

/** A query token as seen by the resolver: canonical text + alternative readings. */
export interface ResolverToken {
  text: string;
  alts: string[];
}

export interface ModelResolution {
  models: ModelEntry[];
  match: ModelMatch;
  family: string[];
  /** Token positions that named the model (consumed). */
  used: number[];
  /** Tokens that look like a model we do not stock (foreign brand, unmatched number). */
  unknownTokens: string[];
  /** Subset to try first when a bare number named models of several brands. */
  preferred?: ModelEntry[];
}

export class ModelRegistry {
  readonly models: ModelEntry[] = [];
  readonly keyVocab = new Set<string>();
  readonly familyVocab = new Set<string>();
  /** Words that name a model variant ("pro", "ultra", "max"): never ignored, even when no model we stock has them. */
  private readonly variantWords = new Set<string>();
  private readonly byName = new Map<string, ModelEntry>();
  // Per-query work must not scan every model (a 100k catalog has thousands): index by key and family word.
  private readonly byKey = new Map<string, ModelEntry[]>();
  /** Each model under one of its keys (the most selective: a key with digits); a fully named model has its anchor in the query. */
  private readonly byAnchor = new Map<string, ModelEntry[]>();
  private readonly byFamily = new Map<string, ModelEntry[]>();
  private readonly byCode = new Map<string, Set<ModelEntry>>();
  private readonly brands = new Map<string, BrandDef>();
  private readonly foreign: Set<string>;
  private readonly bareNumberSeries: Set<string>;

  constructor(dict: BrandsDict) {
    this.bareNumberSeries = new Set(dict.bareNumberSeries ?? []);
    for (const b of dict.brands) {
      this.brands.set(b.name, b);
      // Known brands/series are family words even when we stock none of their models ("ipad").
      [b.name, ...b.series].forEach((w) => this.familyVocab.add(w));
    }
    this.foreign = new Set(dict.foreign.map(foldCase));
  }

  /** Registers a model (idempotent). `brandHint` is the catalog/device brand field. */
  add(name: string, brandHint?: string | null, codes: string[] = []): ModelEntry {
    const lname = foldCase(name.trim());
    let entry = this.byName.get(lname);
    if (!entry) {
      entry = this.parse(name, lname, brandHint);
      this.byName.set(lname, entry);
      this.models.push(entry);
      for (const k of new Set(entry.keys)) {
        this.keyVocab.add(k);
        pushTo(this.byKey, k, entry);
      }
      const anchor = entry.keys.find(hasDigit) ?? entry.keys[0];
      if (anchor) pushTo(this.byAnchor, anchor, entry);
      for (const f of entry.family) {
        this.familyVocab.add(f);
        pushTo(this.byFamily, f, entry);
      }
    }
    for (const c of codes) this.addCode(c, entry);
    return entry;
  }

  addVariantWords(words: Iterable<string>): void {
    for (const w of words) this.variantWords.add(w);
  }

  get(name: string): ModelEntry | undefined {
    return this.byName.get(foldCase(name.trim()));
  }

  isForeignBrand(word: string): boolean {
    return this.foreign.has(word);
  }

  /** Every code spelling that should resolve to a model (for glueing "sm a715f"). */
  codeKeys(): IterableIterator<string> {
    return this.byCode.keys();
  }

  /** Model for a manufacturer code ("sma715f", "a715f", "a715fds"), when unambiguous. */
  byModelCode(token: string): ModelEntry | undefined {
    const exact = this.byCode.get(token);
    if (exact) return exact.size === 1 ? [...exact][0] : undefined;
    // Region suffixes ("SM-A715F/DSN" → "sma715fdsn"): longest known code that prefixes the token.
    for (let len = token.length - 1; len >= 5; len--) {
      const hit = this.byCode.get(token.slice(0, len));
      if (hit) return hit.size === 1 ? [...hit][0] : undefined;
    }
    return undefined;
  }

  private addCode(code: string, entry: ModelEntry): void {
    const variants = new Set<string>([compactCode(code)]);
    // "SM-A715F" is also typed without the "SM-" prefix.
    const dash = code.indexOf('-');
    if (dash > 0) {
      const tail = compactCode(code.slice(dash + 1));
      if (tail.length >= 4 && hasDigit(tail) && hasLatin(tail)) variants.add(tail);
    }
    for (const v of variants) {
      if (v.length < 4) continue;
      const set = this.byCode.get(v) ?? new Set<ModelEntry>();
      set.add(entry);
      this.byCode.set(v, set);
    }
  }

  private parse(name: string, lname: string, brandHint?: string | null): ModelEntry {
    const words = lname.split(/\s+/).flatMap(splitChunk);
    const hint = brandHint ? foldCase(brandHint) : undefined;
    let brand = words[0] ?? '';
    let rest = words.slice(1);
    if (!this.brands.has(brand) && hint && this.brands.has(hint)) {
      brand = hint;
      rest = words[0] === hint ? words.slice(1) : words;
    }
    const def = this.brands.get(brand);
    const series = new Set(def?.series ?? []);
    const family = new Set<string>([brand, ...(def?.parents ?? [])]);
    const keys: string[] = [];
    for (const w of rest) (series.has(w) ? family.add(w) : keys.push(w));
    return { id: this.models.length, name: name.trim(), brand, family, keys };
  }

  /** Finds the model(s) named by the unconsumed tokens. `skip[i]` marks tokens used elsewhere. */
  resolve(tokens: ResolverToken[], skip: boolean[], stop: (t: string) => boolean): ModelResolution {
    const codeHit = this.resolveByCode(tokens, skip);
    if (codeHit) return codeHit;
    const { family, familyPos, keys, unknownTokens } = this.classify(tokens, skip, stop);
    const fits = (m: ModelEntry) => family.every((alts) => alts.some((f) => m.family.has(f)));
    const forms = keys.flatMap((k) => k.forms);
    // Fully named models have their anchor key among the typed ones.
    const full = [...new Set(forms.flatMap((f) => this.byAnchor.get(f) ?? []))].filter(fits);
    return this.pick(full, family, familyPos, keys, unknownTokens, {
      partial: () => this.partialCandidates(keys).filter(fits),
      family: () => this.familyModels(family, fits),
    });
  }

  /** Sorts the free tokens into family words, key words and signs of a model we do not stock. */
  private classify(tokens: ResolverToken[], skip: boolean[], stop: (t: string) => boolean) {
    const family: string[][] = []; // one entry per family token: its possible readings
    const familyPos: number[] = [];
    const keys: KeyToken[] = [];
    const unknownTokens: string[] = [];
    tokens.forEach((t, i) => {
      if (skip[i] || stop(t.text)) return;
      const forms = [t.text, ...t.alts];
      const keyForms = forms.filter((f) => this.keyVocab.has(f) || this.variantWords.has(f));
      const famForms = forms.filter((f) => this.familyVocab.has(f));
      if (keyForms.length) keys.push({ pos: i, forms: keyForms });
      else if (famForms.length) {
        family.push(famForms);
        familyPos.push(i);
      } else if (this.foreign.has(t.text)) {
        // A brand we do not stock is a family no model has: it vetoes bare-number matches ("lenovo k9" ≠ Redmi 9).
        family.push([t.text]);
        unknownTokens.push(t.text);
      } else if (hasDigit(t.text)) unknownTokens.push(t.text);
    });
    return { family, familyPos, keys, unknownTokens };
  }

  /** Models containing every typed key (through the key with the fewest models). */
  private partialCandidates(keys: KeyToken[]): ModelEntry[] {
    if (!keys.length) return [];
    const lists = keys.map((k) => [...new Set(k.forms.flatMap((f) => this.byKey.get(f) ?? []))]);
    const smallest = lists.reduce((a, b) => (b.length < a.length ? b : a));
    return smallest.filter((m) => keys.every((k) => covers(m, k)));
  }

  /** Every model agreeing with the family words (brand-only queries). */
  private familyModels(family: string[][], fits: (m: ModelEntry) => boolean): ModelEntry[] {
    if (!family.length) return [];
    const lists = family.map((alts) => alts.flatMap((f) => this.byFamily.get(f) ?? []));
    const smallest = lists.reduce((a, b) => (b.length < a.length ? b : a));
    return [...new Set(smallest)].filter(fits);
  }

  /** A bare "7" with no brand: iPhone 7 before Redmi 7 (kept as fallback when the iPhone lacks the part). */
  private bareNumberPreference(models: ModelEntry[]): ModelEntry[] | undefined {
    const brands = new Set(models.map((m) => m.brand));
    if (brands.size < 2) return undefined;
    const pref = models.filter((m) => [...m.family].some((f) => this.bareNumberSeries.has(f)));
    return pref.length && pref.length < models.length ? pref : undefined;
  }

  private resolveByCode(tokens: ResolverToken[], skip: boolean[]): ModelResolution | null {
    const models: ModelEntry[] = [];
    const used: number[] = [];
    tokens.forEach((t, i) => {
      if (skip[i] || !hasDigit(t.text)) return;
      const m = this.byModelCode(t.text);
      if (m && !this.keyVocab.has(t.text)) {
        if (!models.includes(m)) models.push(m);
        used.push(i);
      }
    });
    return models.length ? { models, match: 'exact', family: [], used, unknownTokens: [] } : null;
  }

  private pick(
    fullCandidates: ModelEntry[],
    familyAlts: string[][],
    familyPos: number[],
    keys: KeyToken[],
    unknownTokens: string[],
    more: { partial: () => ModelEntry[]; family: () => ModelEntry[] },
  ): ModelResolution {
    // Report the reading of each family word that some stocked model has (or the first one).
    const family = familyAlts.map((alts) => alts.find((f) => this.byFamily.has(f)) ?? alts[0]!);
    const usedFor = (ms: ModelEntry[]) => [...familyPos, ...keys.filter((k) => ms.some((m) => covers(m, k))).map((k) => k.pos)];
    const texts = (ks: KeyToken[]) => ks.map((k) => k.forms[0]!);
    const full = greedyCover(fullCandidates, keys);
    if (full.models.length) {
      const match: ModelMatch = full.unexplained.length ? 'unknown' : 'exact';
      const used = [...usedFor(full.models), ...full.unexplained.map((k) => k.pos)];
      const preferred = family.length ? undefined : this.bareNumberPreference(full.models);
      return { models: full.models, match, family, used, unknownTokens: [...unknownTokens, ...texts(full.unexplained)], preferred };
    }
    const digitKey = keys.some((k) => k.forms.some(hasDigit));
    if (unknownTokens.length && (family.length || keys.length)) {
      return { models: [], match: 'unknown', family, used: [...familyPos, ...keys.map((k) => k.pos)], unknownTokens: [...unknownTokens, ...texts(keys)] };
    }
    if (keys.length) {
      // "poco x3" names both X3 NFC and X3 Pro: every typed key is in the model, some model keys are missing.
      const partial = more.partial();
      if (partial.length && (digitKey || partial.length <= 3)) return { models: partial, match: 'partial', family, used: usedFor(partial), unknownTokens };
      if (!partial.length && digitKey) return { models: [], match: 'unknown', family, used: [...familyPos, ...keys.map((k) => k.pos)], unknownTokens: [...unknownTokens, ...texts(keys)] };
    }
    // A series we stock nothing of ("ipad") is an unknown model, not the whole brand.
    if (family.length) {
      const models = more.family();
      return { models, match: models.length ? 'family' : 'unknown', family, used: familyPos, unknownTokens };
    }
    return { models: [], match: 'none', family, used: [], unknownTokens };
  }
}

function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** One query token that can be a model key, with all its readings ("с21" → s21 | c21). */
interface KeyToken {
  pos: number;
  forms: string[];
}

const covers = (m: ModelEntry, k: KeyToken): boolean => k.forms.some((f) => m.keys.includes(f));

/** Every key word of the model is present among the tokens. */
const fullyNamed = (m: ModelEntry, keys: KeyToken[]): boolean => m.keys.length > 0 && m.keys.every((mk) => keys.some((k) => k.forms.includes(mk)));

/**
 * Repeatedly takes the most specific fully named model(s) — the ones covering
 * the most still-unexplained tokens; returns them and the tokens nobody explained.
 */
function greedyCover(compatible: ModelEntry[], keys: KeyToken[]): { models: ModelEntry[]; unexplained: KeyToken[] } {
  const chosen: ModelEntry[] = [];
  let left = [...keys];
  // A model named by a token's primary reading beats one named by an alternative ("с21": S21 before C21).
  const gain = (m: ModelEntry) => left.reduce((g, k) => g + (m.keys.includes(k.forms[0]!) ? 1 : covers(m, k) ? 0.99 : 0), 0);
  for (;;) {
    const full = compatible.filter((m) => !chosen.includes(m) && fullyNamed(m, keys) && gain(m) > 0);
    if (!full.length) break;
    const best = Math.max(...full.map(gain));
    const top = full.filter((m) => gain(m) === best);
    chosen.push(...top);
    left = left.filter((k) => !top.some((m) => covers(m, k)));
    if (!left.length) break;
  }
  return { models: chosen, unexplained: chosen.length ? left : [] };
}
