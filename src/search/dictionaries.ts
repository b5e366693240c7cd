// Loads the search dictionaries from data/search/*.json. They are data, not
// code, so analysts can extend slang without touching the engine; the shapes are
// validated here so a broken edit fails loudly at start-up rather than silently
// degrading search quality.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PartTypeDef {
  label: string;
  fallback?: string[];
  requiresKitIntent?: boolean;
}
export interface PartPhrase {
  words: string[];
  types: string[];
  /** Types used only when the model has none of `types` (on top of the types' own fallbacks). */
  fallback?: string[];
}
export interface PartTypesDict {
  types: Record<string, PartTypeDef>;
  kit: { phrases: string[][]; byType: Record<string, string> };
  phrases: PartPhrase[];
}
export interface BrandDef {
  name: string;
  aliases: string[];
  series: string[];
  parents?: string[];
}
export interface BrandsDict {
  brands: BrandDef[];
  seriesAliases: Record<string, string[]>;
  foreign: string[];
  /** Series a bare number refers to first ("xs макс" = iPhone XS Max). */
  bareNumberSeries?: string[];
}
export interface QualityTagDef {
  tag: string;
  label: string;
  itemPatterns: string[];
  phrases: string[][];
}
export interface FeatureDef {
  key: string;
  label: string;
  itemWords: string[];
  positive: string[][];
  negative: string[][];
}
export interface Dictionaries {
  partTypes: PartTypesDict;
  brands: BrandsDict;
  modelWords: Record<string, string[]>;
  qualities: QualityTagDef[];
  colors: Record<string, string[]>;
  features: FeatureDef[];
  stopwords: string[];
  numbers: { values: Record<string, number>; multipliers: Record<string, number> };
}

export const DEFAULT_DICT_DIR = path.resolve(__dirname, '..', '..', 'data', 'search');

function readJson(dir: string, file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
}

function need(cond: unknown, what: string): void {
  if (!cond) throw new Error(`search dictionary invalid: ${what}`);
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  need(v && typeof v === 'object' && !Array.isArray(v), what);
  return v as Record<string, unknown>;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isPhraseList = (v: unknown): v is string[][] => Array.isArray(v) && v.every(isStringArray);

function checkPartTypes(v: unknown): PartTypesDict {
  const o = asObject(v, 'part-types.json');
  const types = asObject(o.types, 'part-types.types');
  const phrases = o.phrases as PartPhrase[];
  need(Array.isArray(phrases), 'part-types.phrases');
  for (const p of phrases) {
    need(isStringArray(p.words) && isStringArray(p.types), `phrase ${JSON.stringify(p)}`);
    for (const t of [...p.types, ...(p.fallback ?? [])]) need(t in types, `phrase type ${t}`);
  }
  const kit = asObject(o.kit, 'part-types.kit');
  need(isPhraseList(kit.phrases), 'part-types.kit.phrases');
  return o as unknown as PartTypesDict;
}

function checkBrands(v: unknown): BrandsDict {
  const o = asObject(v, 'brands.json');
  need(Array.isArray(o.brands), 'brands.brands');
  for (const b of o.brands as BrandDef[]) need(typeof b.name === 'string' && isStringArray(b.aliases) && isStringArray(b.series), `brand ${b.name}`);
  need(isStringArray(o.foreign), 'brands.foreign');
  asObject(o.seriesAliases, 'brands.seriesAliases');
  return o as unknown as BrandsDict;
}

function checkQualities(v: unknown): QualityTagDef[] {
  const tags = asObject(v, 'qualities.json').tags as QualityTagDef[];
  need(Array.isArray(tags), 'qualities.tags');
  for (const t of tags) need(isStringArray(t.itemPatterns) && isPhraseList(t.phrases), `quality ${t.tag}`);
  return tags;
}

function checkFeatures(v: unknown): FeatureDef[] {
  const list = asObject(v, 'features.json').features as FeatureDef[];
  need(Array.isArray(list), 'features.features');
  for (const f of list) need(isStringArray(f.itemWords) && isPhraseList(f.positive) && isPhraseList(f.negative), `feature ${f.key}`);
  return list;
}

/** Reads and validates every dictionary file of `dir`. */
export function loadDictionaries(dir: string = DEFAULT_DICT_DIR): Dictionaries {
  const colors = asObject(readJson(dir, 'colors.json'), 'colors.json').colors as Record<string, string[]>;
  need(Object.values(colors).every(isStringArray), 'colors.colors');
  const modelWords = asObject(readJson(dir, 'model-words.json'), 'model-words.json').aliases as Record<string, string[]>;
  need(Object.values(modelWords).every(isStringArray), 'model-words.aliases');
  const stopwords = asObject(readJson(dir, 'stopwords.json'), 'stopwords.json').words;
  need(isStringArray(stopwords), 'stopwords.words');
  const numbers = asObject(readJson(dir, 'numbers.json'), 'numbers.json') as Dictionaries['numbers'];
  need(numbers.values && numbers.multipliers, 'numbers.json');
  return {
    partTypes: checkPartTypes(readJson(dir, 'part-types.json')),
    brands: checkBrands(readJson(dir, 'brands.json')),
    modelWords,
    qualities: checkQualities(readJson(dir, 'qualities.json')),
    colors,
    features: checkFeatures(readJson(dir, 'features.json')),
    stopwords: stopwords as string[],
    numbers,
  };
}

let cached: Dictionaries | undefined;
/** Process-wide default dictionaries (read once). */
export function defaultDictionaries(): Dictionaries {
  cached ??= loadDictionaries();
  return cached;
}
