import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One curated repair tip (data/howto/tips.json). */
export interface Tip {
  readonly id: string;
  readonly title: string;
  /** Only for these device brands (lower case: apple, samsung, xiaomi…); absent: any. */
  readonly brands?: readonly string[];
  /** Catalog part types the tip is about (display, battery, charging_flex…). */
  readonly partTypes: readonly string[];
  /** Word stems or phrases; `phrase^N` sets the weight. */
  readonly keywords: readonly string[];
  readonly steps: readonly string[];
  readonly safety: readonly string[];
  readonly kit: TipKit;
}

export interface TipKit {
  /** What the kit is, in a few words, for the message. */
  readonly title: string;
  /** A ready-made kit product to look for first (`комплект для замены дисплея {model}`). */
  readonly bundle?: string;
  /** Part queries with `{model}`. */
  readonly parts: readonly string[];
  /** Tool and consumable queries (no model). */
  readonly tools: readonly string[];
}

export interface TipsCatalog {
  readonly version: number;
  /** The tip used when nothing matches. */
  readonly fallback: Tip;
  readonly tips: readonly Tip[];
  readonly byId: ReadonlyMap<string, Tip>;
}

export class TipsDataError extends Error {
  override readonly name = 'TipsDataError';
  constructor(
    readonly problems: readonly string[],
    source: string,
  ) {
    super(`${source}: ${problems.length} problem(s) in the how-to tips: ${problems.slice(0, 5).join('; ')}`);
  }
}

export const TIP_ID = /^[a-z][a-z0-9_]{0,23}$/;
const PLACEHOLDER = /\{(\w+)\}/g;
const LINK = /(https?:\/\/|www\.|t\.me\/)/i;

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Validates the parsed JSON and builds the catalog; every problem is listed, not just the first. */
export function parseTips(data: unknown, source = 'tips.json'): TipsCatalog {
  const problems: string[] = [];
  const root = data as { version?: unknown; fallback?: unknown; tips?: unknown } | null;
  if (!root || typeof root !== 'object') throw new TipsDataError(['the file is not a JSON object'], source);
  if (!Array.isArray(root.tips)) throw new TipsDataError(['"tips" must be an array'], source);
  const tips: Tip[] = [];
  const byId = new Map<string, Tip>();
  root.tips.forEach((raw: unknown, i: number) => {
    const t = raw as Record<string, unknown>;
    const at = `tips[${i}]${typeof t?.id === 'string' ? ` (${t.id})` : ''}`;
    const bad = (message: string): void => void problems.push(`${at}: ${message}`);
    if (!t || typeof t !== 'object') return bad('not an object');
    if (typeof t.id !== 'string' || !TIP_ID.test(t.id)) bad('id must be 1–24 characters a-z, 0-9, _ starting with a letter');
    else if (byId.has(t.id)) bad('duplicate id');
    if (typeof t.title !== 'string' || !t.title.trim() || t.title.length > 80) bad('title must be 1–80 characters');
    if (!isStringArray(t.keywords)) bad('keywords must be an array of strings');
    else t.keywords.forEach((k) => /^[^\s^][^^]*(\^\d+(\.\d+)?)?$/.test(k.trim()) || bad(`keyword "${k}" is malformed`));
    if (t.brands !== undefined && (!isStringArray(t.brands) || t.brands.some((b) => b !== b.toLowerCase()))) bad('brands must be lower-case strings');
    if (!isStringArray(t.partTypes)) bad('partTypes must be an array of strings');
    if (!isStringArray(t.steps) || t.steps.length < 3 || t.steps.length > 6) bad('steps must be 3–6 strings');
    else t.steps.forEach((s, j) => (s.trim().length === 0 || s.length > 240) && bad(`step ${j + 1} must be 1–240 characters`));
    if (!isStringArray(t.safety) || t.safety.length < 1 || t.safety.length > 3) bad('safety must be 1–3 strings');
    const kit = t.kit as Record<string, unknown> | undefined;
    if (!kit || typeof kit !== 'object') bad('kit is required');
    else {
      if (typeof kit.title !== 'string' || !kit.title.trim()) bad('kit.title is required');
      if (kit.bundle !== undefined && (typeof kit.bundle !== 'string' || !kit.bundle.includes('{model}'))) bad('kit.bundle must be a query with {model}');
      if (!isStringArray(kit.parts)) bad('kit.parts must be an array of strings');
      else kit.parts.forEach((q) => !q.includes('{model}') && bad(`kit part query "${q}" needs {model}`));
      if (!isStringArray(kit.tools) || kit.tools.length === 0) bad('kit.tools must be a non-empty array of strings');
      else kit.tools.forEach((q) => q.includes('{') && bad(`kit tool query "${q}" must not depend on the model`));
      for (const q of [...(isStringArray(kit.parts) ? kit.parts : []), ...(typeof kit.bundle === 'string' ? [kit.bundle] : [])]) {
        for (const m of q.matchAll(PLACEHOLDER)) if (m[1] !== 'model') bad(`unknown placeholder {${m[1]}} in "${q}"`);
      }
    }
    const texts = [t.title, ...(isStringArray(t.steps) ? t.steps : []), ...(isStringArray(t.safety) ? t.safety : [])];
    if (texts.some((s) => typeof s === 'string' && LINK.test(s))) bad('tips carry no links');
    if (problems.some((p) => p.startsWith(at))) return;
    const tip = t as unknown as Tip;
    tips.push(tip);
    byId.set(tip.id, tip);
  });
  const fallbackId = typeof root.fallback === 'string' ? root.fallback : 'general';
  const fallback = byId.get(fallbackId);
  if (!fallback) problems.push(`fallback tip "${fallbackId}" does not exist`);
  if (problems.length) throw new TipsDataError(problems, source);
  return { version: typeof root.version === 'number' ? root.version : 1, fallback: fallback!, tips, byId };
}

/**
 * Finds data/howto/tips.json by walking up from this module: nodes are bundled by esbuild into
 * nodes/<name>/<name>.js, where __dirname is no longer src/howto. HOWTO_TIPS_FILE overrides.
 */
export function findTipsFile(from: string = __dirname, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.HOWTO_TIPS_FILE) return path.resolve(env.HOWTO_TIPS_FILE);
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, 'data', 'howto', 'tips.json');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`data/howto/tips.json not found above ${from}`);
    dir = parent;
  }
}

export function loadTips(file: string = findTipsFile()): TipsCatalog {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TipsDataError([`cannot read: ${(error as Error).message}`], file);
  }
  return parseTips(json, file);
}

let cached: { file: string; catalog: TipsCatalog } | undefined;

/** The tips from the default file, loaded once per process (and again when the file path changes). */
export function defaultTips(): TipsCatalog {
  const file = findTipsFile();
  if (!cached || cached.file !== file) cached = { file, catalog: loadTips(file) };
  return cached.catalog;
}
