import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What a message without a command asks for. The phrase lists are data
 * (data/assistant/intents.json) so a product owner can extend them without code; anything no rule
 * matches is a catalog search.
 */
export type Intent = 'help' | 'greeting' | 'thanks' | 'cancel' | 'cart' | 'myorders' | 'return' | 'track' | 'howto' | 'compat';

export const INTENTS: readonly Intent[] = ['help', 'greeting', 'thanks', 'cancel', 'cart', 'myorders', 'return', 'track', 'howto', 'compat'];

export type MatchMode = 'exact' | 'prefix' | 'contains';

export interface IntentRule {
  readonly intent: Intent;
  readonly match: MatchMode;
  readonly phrases: readonly string[];
}

export interface IntentRules {
  readonly version: number;
  readonly rules: readonly IntentRule[];
}

export type DetectedIntent =
  | { readonly intent: 'search'; readonly query: string }
  | { readonly intent: Intent; readonly phrase: string; /** The text after the phrase (prefix rules) or the whole text. */ readonly rest: string; readonly text: string };

export class IntentsDataError extends Error {
  override readonly name = 'IntentsDataError';
}

/** Lower case, ё→е, punctuation out, single spaces: how phrases and messages are compared. */
export function normalizeForIntent(text: string): string {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}\s-]+/gu, ' ')
    .replace(/(^|\s)-+|-+(?=\s|$)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function parseIntentRules(data: unknown, source = 'intents.json'): IntentRules {
  const root = data as { version?: unknown; rules?: unknown } | null;
  if (!root || typeof root !== 'object' || !Array.isArray(root.rules)) throw new IntentsDataError(`${source}: "rules" must be an array`);
  const rules: IntentRule[] = root.rules.map((raw: unknown, i: number) => {
    const r = raw as { intent?: unknown; match?: unknown; phrases?: unknown };
    if (!r || typeof r !== 'object') throw new IntentsDataError(`${source}: rules[${i}] is not an object`);
    if (!INTENTS.includes(r.intent as Intent)) throw new IntentsDataError(`${source}: rules[${i}].intent "${String(r.intent)}" is not one of ${INTENTS.join(', ')}`);
    if (r.match !== 'exact' && r.match !== 'prefix' && r.match !== 'contains') throw new IntentsDataError(`${source}: rules[${i}].match must be exact, prefix or contains`);
    if (!Array.isArray(r.phrases) || !r.phrases.length || r.phrases.some((p) => typeof p !== 'string' || !normalizeForIntent(p))) {
      throw new IntentsDataError(`${source}: rules[${i}].phrases must be non-empty strings`);
    }
    // Longest phrase first, so "совместимость с" wins over "совместимость" and the rest is clean.
    const phrases = [...new Set((r.phrases as string[]).map(normalizeForIntent))].sort((a, b) => b.length - a.length);
    return { intent: r.intent as Intent, match: r.match, phrases };
  });
  return { version: typeof root.version === 'number' ? root.version : 1, rules };
}

/** data/assistant/intents.json, found by walking up from this module (node bundles live elsewhere). ASSISTANT_INTENTS_FILE overrides. */
export function findIntentsFile(from: string = __dirname, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.ASSISTANT_INTENTS_FILE) return path.resolve(env.ASSISTANT_INTENTS_FILE);
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, 'data', 'assistant', 'intents.json');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new IntentsDataError(`data/assistant/intents.json not found above ${from}`);
    dir = parent;
  }
}

export function loadIntentRules(file: string = findIntentsFile()): IntentRules {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new IntentsDataError(`${file}: ${(error as Error).message}`);
  }
  return parseIntentRules(json, file);
}

let cached: { file: string; rules: IntentRules } | undefined;

export function defaultIntentRules(): IntentRules {
  const file = findIntentsFile();
  if (!cached || cached.file !== file) cached = { file, rules: loadIntentRules(file) };
  return cached.rules;
}

function containsWords(text: string, phrase: string): boolean {
  return ` ${text} `.includes(` ${phrase} `);
}

/** The intent of a plain message (or a voice transcript); `search` when no rule matches. */
export function detectIntent(text: string, rules: IntentRules = defaultIntentRules()): DetectedIntent {
  const original = text.trim();
  const norm = normalizeForIntent(original);
  if (!norm) return { intent: 'search', query: original };
  for (const rule of rules.rules) {
    for (const phrase of rule.phrases) {
      if (rule.match === 'exact' && norm === phrase) return { intent: rule.intent, phrase, rest: '', text: original };
      if (rule.match === 'prefix' && (norm === phrase || norm.startsWith(`${phrase} `))) {
        return { intent: rule.intent, phrase, rest: norm.slice(phrase.length).trim(), text: original };
      }
      if (rule.match === 'contains' && containsWords(norm, phrase)) return { intent: rule.intent, phrase, rest: norm, text: original };
    }
  }
  return { intent: 'search', query: original };
}
