import type { Tip, TipsCatalog } from './tips';

/**
 * Matching a master's free-text question ("как поменять акб на редми 9а?") to a curated tip,
 * and finding the device model in it. Deliberately small: word stems with a crude Russian
 * suffix stripper on both sides, weighted keywords and phrases, a brand preference.
 */

const REFLEXIVE = ['ся', 'сь'];
const ENDINGS = ['ями', 'ами', 'ого', 'его', 'ому', 'ему', 'ыми', 'ими', 'ая', 'яя', 'ое', 'ее', 'ые', 'ие', 'ый', 'ий', 'ой', 'ей', 'ую', 'юю', 'ом', 'ем', 'ах', 'ях', 'ов', 'ев', 'ам', 'ям', 'ия', 'ья', 'ью', 'а', 'я', 'у', 'ю', 'е', 'о', 'ы', 'и', 'ь', 'й'];

/** Lower case, ё → е, punctuation to spaces (keeping `-` and `+` inside words: sm-a515f, 13+). */
export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}+\-]+/gu, ' ')
    .replace(/(^|\s)[-+]+|[-+]+(?=\s|$)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function tokens(text: string): string[] {
  const n = normalizeText(text);
  return n ? n.split(' ') : [];
}

/** A crude Russian stem: the reflexive suffix, then one inflection ending, keeping ≥ 3 letters. */
export function stem(word: string): string {
  if (!/[а-я]/.test(word) || word.length <= 4) return word;
  let w = word;
  for (const r of REFLEXIVE) {
    if (w.endsWith(r) && w.length - r.length >= 4) {
      w = w.slice(0, -r.length);
      break;
    }
  }
  for (const e of ENDINGS) {
    if (w.endsWith(e) && w.length - e.length >= 3) return w.slice(0, -e.length);
  }
  return w;
}

interface CompiledKeyword {
  readonly words: readonly string[];
  readonly weight: number;
}

function compileKeyword(raw: string): CompiledKeyword {
  const m = /^(.*?)(?:\^(\d+(?:\.\d+)?))?$/.exec(raw.trim());
  const words = tokens(m?.[1] ?? '').map(stem);
  const explicit = m?.[2] !== undefined ? Number(m[2]) : undefined;
  return { words, weight: explicit ?? (words.length <= 1 ? 1 : words.length * 2 - 1) };
}

/** A question word matches a keyword word: equal for short stems, else by prefix. */
function wordMatches(token: string, word: string): boolean {
  return word.length <= 3 ? token === word : token.startsWith(word);
}

/** All words in order, each at most one word after the previous one. */
function phraseMatches(stems: readonly string[], words: readonly string[]): boolean {
  if (words.length === 0) return false;
  for (let i = 0; i < stems.length; i++) {
    if (!wordMatches(stems[i], words[0])) continue;
    let at = i;
    let ok = true;
    for (const word of words.slice(1)) {
      const next = [at + 1, at + 2].find((j) => j < stems.length && wordMatches(stems[j], word));
      if (next === undefined) {
        ok = false;
        break;
      }
      at = next;
    }
    if (ok) return true;
  }
  return false;
}

// ── device model ────────────────────────────────────────────────────────────────────────
const BRAND_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(iphone|айфон\p{L}*|apple|эпл|эппл|ipad|айпад\p{L}*)$/u, 'apple'],
  [/^(samsung|самсунг\p{L}*|galaxy|галакси|гэлакси)$/u, 'samsung'],
  [/^(xiaomi|сяоми|ксиоми|ксяоми|redmi|редми|poco|поко|mi|ми)$/u, 'xiaomi'],
  [/^(honor|хонор\p{L}*)$/u, 'honor'],
  [/^(huawei|хуавей\p{L}*|хуавэй\p{L}*)$/u, 'huawei'],
  [/^(realme|реалми)$/u, 'realme'],
  [/^(oppo|оппо)$/u, 'oppo'],
  [/^(vivo|виво)$/u, 'vivo'],
  [/^(tecno|текно)$/u, 'tecno'],
  [/^(infinix|инфиникс)$/u, 'infinix'],
  [/^(nokia|нокиа)$/u, 'nokia'],
  [/^(pixel|пиксель|google|гугл)$/u, 'google'],
  [/^(oneplus|ванплюс)$/u, 'oneplus'],
  [/^(motorola|моторола|moto)$/u, 'motorola'],
];
/** Words that continue a model name after the brand ("note", "pro max", "se", number words). */
const MODEL_WORDS = new Set([
  'pro', 'про', 'plus', 'плюс', 'max', 'макс', 'mini', 'мини', 'lite', 'лайт', 'ultra', 'ультра', 'note', 'ноут', 'нот', 'se', 'nfc', 'нфс', 'prime', 'прайм',
  'fe', 'xr', 'xs', 'x', 'икс', 's', 'с', 'c', 'си', 't', 'т', 'a', 'а', 'm', 'м', 'f', 'ф', 'j', 'galaxy', 'галакси', 'redmi', 'редми', 'poco', 'поко', 'iphone', 'айфон',
  'один', 'два', 'три', 'четыре', 'пять', 'шесть', 'семь', 'восемь', 'девять', 'десять', 'одиннадцать', 'двенадцать', 'тринадцать', 'четырнадцать', 'пятнадцать', 'шестнадцать',
  'двадцать', 'тридцать', 'пятьдесят', 'семьдесят',
]);
const MODEL_TOKEN = /^(\d{1,4}[a-zа-я]{0,3}\+?|[a-zа-я]{1,2}\d{1,4}[a-zа-я]{0,3}\+?|sm-[a-z]\d{3}[a-z]{0,2}|a\d{4})$/;
/** A model code without a brand: a51, s21, m31s, x3, sm-a515f, a2111. */
const BARE_MODEL = /^([a-zа-я]\d{2,3}[a-zа-я]?|sm-[a-z]\d{3}[a-z]{0,2}|a\d{4})$/;

export interface DetectedModel {
  /** As the master wrote it ("айфон 11", "redmi note 8"); feeds the catalog search. */
  readonly model?: string;
  readonly brand?: string;
}

/** "айфоне" → "айфон", "самсунга" → "самсунг": the catalog search knows the base forms. */
function canonicalBrandWord(word: string): string {
  return /^(айфон|самсунг|хонор|хуавей|хуавэй|айпад)\p{L}+$/u.exec(word)?.[1] ?? word;
}

export function brandOfWord(word: string): string | undefined {
  return BRAND_WORDS.find(([re]) => re.test(word))?.[1];
}

/** Finds the device model and brand in a question (heuristic; the catalog search does the rest). */
export function detectModel(question: string): DetectedModel {
  const words = tokens(question);
  for (let i = 0; i < words.length; i++) {
    const brand = brandOfWord(words[i]);
    // "ми" / "mi" only counts when a model number follows.
    if (!brand || ((words[i] === 'ми' || words[i] === 'mi') && !MODEL_TOKEN.test(words[i + 1] ?? ''))) continue;
    const parts = [canonicalBrandWord(words[i])];
    let hasModel = false;
    for (let j = i + 1; j < words.length && parts.length < 7; j++) {
      const w = words[j];
      const isNumberish = MODEL_TOKEN.test(w);
      if (!isNumberish && !MODEL_WORDS.has(w) && !brandOfWord(w)) break;
      parts.push(w);
      if (isNumberish || (MODEL_WORDS.has(w) && !brandOfWord(w))) hasModel = true;
    }
    // A single letter followed by more words ("айфон 11 с разбитым…") is a preposition, not a variant
    // ("хонор 9 а" at the end is Honor 9A).
    while (parts.length > 1 && /^[сcаa]$/.test(parts[parts.length - 1]) && i + parts.length < words.length) parts.pop();
    if (hasModel && parts.length > 1) return { model: parts.join(' '), brand };
    return { brand };
  }
  const bare = words.find((w) => BARE_MODEL.test(w));
  if (bare) return { model: bare };
  return {};
}

// ── tips ─────────────────────────────────────────────────────────────────────────────────
export interface TipMatch {
  readonly tip: Tip;
  readonly score: number;
  /** False when nothing matched and the fallback tip was used. */
  readonly matched: boolean;
  readonly model?: string;
  readonly brand?: string;
}

const compiledCache = new WeakMap<Tip, readonly CompiledKeyword[]>();
function compiled(tip: Tip): readonly CompiledKeyword[] {
  let c = compiledCache.get(tip);
  if (!c) {
    c = tip.keywords.map(compileKeyword).filter((k) => k.words.length > 0);
    compiledCache.set(tip, c);
  }
  return c;
}

export function scoreTip(tip: Tip, stems: readonly string[], brand: string | undefined): number {
  if (tip.brands?.length && brand && !tip.brands.includes(brand)) return 0;
  let score = 0;
  for (const k of compiled(tip)) if (phraseMatches(stems, k.words)) score += k.weight;
  if (score === 0) return 0;
  if (tip.brands?.length) score += brand ? 2 : -0.5;
  return score;
}

/** The best tip for the question (ties: the earlier tip in the file), or the fallback. */
export function matchTip(question: string, catalog: TipsCatalog, override: DetectedModel = {}): TipMatch {
  const detected = detectModel(question);
  const model = override.model ?? detected.model;
  const brand = override.brand ?? (override.model ? detectModel(override.model).brand : undefined) ?? detected.brand;
  const stems = tokens(question).map(stem);
  let best: { tip: Tip; score: number } | undefined;
  for (const tip of catalog.tips) {
    if (tip === catalog.fallback) continue;
    const score = scoreTip(tip, stems, brand);
    if (score > 0 && (!best || score > best.score)) best = { tip, score };
  }
  if (!best) return { tip: catalog.fallback, score: 0, matched: false, model, brand };
  return { tip: best.tip, score: best.score, matched: true, model, brand };
}
