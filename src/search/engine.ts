// The catalog search engine: exact codes → structured reading → candidate set
// → strict filters (part type, quality, colour) → soft filters (variants,
// leftover words) → ranking. When the query names a model and a part type, only
// items for that model and type are returned; when the right answer is nothing,
// the result is empty and close matches go to `suggestions`.
import { performance } from 'node:perf_hooks';
import { buildVocabulary } from './build-vocabulary';
import { CatalogIndex, contains, intersect, union } from './catalog-index';
import { defaultDictionaries, type Dictionaries } from './dictionaries';
import { explain } from './explain';
import { Interpreter, type QueryPlan } from './interpret';
import { QueryNormalizer } from './normalize';
import { type EmptyReason, suggest } from './suggest';
import type { CatalogItem, DeviceInfo, Interpretation, ScoredItem, SearchOptions, SearchResult } from './types';

type Mode = 'code' | 'model' | 'family' | 'type' | 'text' | 'filter';

interface Candidates {
  positions: number[];
  mode: Mode;
  /** Base score of every candidate (lower for vaguer readings). */
  score: number;
}

type Failure = { ok: false; reason: EmptyReason; pool: number[] };
/** `notes` tell the master about relaxations ("no back glass for this model — showing back covers"). */
type Outcome = { ok: true; positions: number[]; score: number; notes?: string[] } | Failure;

const DEFAULT_LIMIT = 10;
const DEFAULT_SUGGESTIONS = 5;
/** Small nudge so a master sees what can ship today first. */
const IN_STOCK_BONUS = 0.05;

export class SearchEngine {
  readonly index: CatalogIndex;
  private readonly normalizer: QueryNormalizer;
  private readonly interpreter: Interpreter;

  private constructor(
    index: CatalogIndex,
    private readonly dicts: Dictionaries,
  ) {
    this.index = index;
    const vocab = buildVocabulary(dicts, index);
    this.normalizer = new QueryNormalizer(vocab);
    this.interpreter = new Interpreter(dicts, index, vocab);
  }

  /** Builds the engine over a catalog snapshot (and optional device dictionary). */
  static fromCatalog(items: CatalogItem[], devices: DeviceInfo[] = [], dicts: Dictionaries = defaultDictionaries()): SearchEngine {
    return new SearchEngine(CatalogIndex.build(items, devices, dicts), dicts);
  }

  search(query: string, opts: SearchOptions = {}): SearchResult {
    const t0 = performance.now();
    const limit = opts.limit ?? DEFAULT_LIMIT;
    const exact = this.exactLookup(query);
    if (exact) return this.exactResult(query, exact, limit, t0);
    const nq = this.normalizer.normalize(query);
    let plan = this.interpreter.plan(nq);
    let interpretation = this.interpreter.describe(nq, plan);
    let outcome = this.execute(plan);
    // A typo that is one edit from two words: if the first reading finds nothing, try the others.
    for (const alt of outcome.ok ? [] : this.normalizer.alternatives(nq)) {
      const altPlan = this.interpreter.plan(alt);
      const altOutcome = this.execute(altPlan);
      if (altOutcome.ok) {
        [plan, outcome, interpretation] = [altPlan, altOutcome, this.interpreter.describe(alt, altPlan)];
        break;
      }
    }
    if (!outcome.ok) {
      const sugg = suggest(this.index, plan, outcome.reason, outcome.pool, opts.suggestionLimit ?? DEFAULT_SUGGESTIONS);
      return this.result(query, [], sugg.map((p) => this.scored(p, 0.5)), interpretation, outcome.reason, t0);
    }
    const items = this.rank(outcome.positions, outcome.score, limit);
    return this.result(query, items, [], interpretation, undefined, t0, outcome.notes);
  }

  /** Whole query first, then each chunk carrying a long number ("штрихкод 4600000123456"). */
  private exactLookup(query: string): ReturnType<CatalogIndex['exactLookup']> {
    const whole = this.index.exactLookup(query);
    if (whole) return whole;
    for (const chunk of query.split(/\s+/)) if (/\d{5,}/.test(chunk)) {
      const hit = this.index.exactLookup(chunk);
      if (hit) return hit;
    }
    return null;
  }

  /** How a query is read, without running it (debugging, /find explanations). */
  interpret(query: string): Interpretation {
    const nq = this.normalizer.normalize(query);
    return this.interpreter.describe(nq, this.interpreter.plan(nq));
  }

  /** Plain explanation of how a query would be read (for /find debugging and logs). */
  explain(query: string): string {
    return this.search(query).explanation;
  }

  private execute(plan: QueryPlan): Outcome {
    if (plan.preferredModels) {
      const preferred = this.executeWith({ ...plan, models: plan.preferredModels });
      if (preferred.ok) return preferred;
    }
    return this.executeWith(plan);
  }

  private executeWith(plan: QueryPlan): Outcome {
    const base = this.candidates(plan);
    if ('reason' in base) return base;
    return this.applyFilters(plan, base);
  }

  /** Chooses where to look, from the most to the least specific evidence. */
  private candidates(plan: QueryPlan): Candidates | Failure {
    const modelPositions = () => union(plan.models.map((m) => this.index.forModel(m.id)));
    if (plan.codes.length) {
      let positions = plan.codes.map((c) => this.index.forCode(c)).reduce(intersect);
      if (plan.models.length && plan.modelMatch !== 'family') {
        const both = intersect(positions, modelPositions());
        if (both.length) positions = both;
      }
      return { positions, mode: 'code', score: 1 };
    }
    if (plan.modelMatch === 'exact' || plan.modelMatch === 'partial') {
      return { positions: modelPositions(), mode: 'model', score: plan.modelMatch === 'exact' ? 1 : 0.9 };
    }
    if (plan.modelMatch === 'unknown') return { ok: false, reason: 'unknown_model', pool: [] };
    // A brand/model we do not stock, unless the words are really a product name ("пинцет 2 шт").
    if (plan.unknownModelTokens.length) return this.textCandidates(plan, plan.content, 0.8, 'unknown_model');
    if (plan.modelMatch === 'family') return { positions: modelPositions(), mode: 'family', score: 0.7 };
    // "акб для телевизора": a part type for something we cannot recognise is not "any battery".
    if (plan.partTypes.length && this.namesUnknownThing(plan)) return this.textCandidates(plan, plan.content, 0.6, 'unknown_model');
    if (plan.partTypes.length) return { positions: union(plan.partTypes.concat(plan.fallbackTypes).map((t) => this.index.forType(t))), mode: 'type', score: 0.7 };
    if (plan.residual.length) return this.textCandidates(plan, plan.residual, 0.8, 'no_text_match');
    if (plan.quality.length || plan.color) return { positions: this.index.items.map((_, i) => i), mode: 'filter', score: 0.5 };
    return this.textCandidates(plan, plan.content, 0.6, 'nothing_understood');
  }

  private textCandidates(plan: QueryPlan, words: string[], score: number, reason: EmptyReason): Candidates | Failure {
    const positions = this.kitGate(plan, this.textSearch(words));
    return positions.length ? { positions, mode: 'text', score } : { ok: false, reason, pool: [] };
  }

  /** Words we could not read at all (not typos, not stopwords, not numbers) — likely a device we do not know. */
  private namesUnknownThing(plan: QueryPlan): boolean {
    return plan.ignored.some((w) => /^[a-zа-я]{3,}$/.test(w));
  }

  private applyFilters(plan: QueryPlan, c: Candidates): Outcome {
    let pos = this.kitGate(plan, c.positions);
    let score = c.score;
    const notes: string[] = [];
    if (plan.partTypes.length) {
      const typed = this.byTypes(pos, plan.partTypes);
      const fallback = typed.length ? typed : this.byTypes(pos, plan.fallbackTypes);
      if (!fallback.length) return { ok: false, reason: 'no_such_part', pool: pos };
      if (!typed.length) {
        score -= 0.15;
        notes.push(`вместо «${this.typeLabel(plan.partTypes)}» показано «${this.typeLabel(plan.fallbackTypes)}»`);
      }
      pos = fallback;
    }
    const strict = this.strictFilters(plan, pos);
    if (!strict.length) return { ok: false, reason: 'filters', pool: pos };
    pos = this.softFeatures(plan, strict);
    const out = this.leftoverWords(plan, c.mode, pos, score);
    return out.ok && notes.length ? { ...out, notes } : out;
  }

  private typeLabel(types: string[]): string {
    return types.map((t) => this.dicts.partTypes.types[t]?.label ?? t).join(' / ');
  }

  /** Kits contain other parts' words ("…дисплей, проклейка"): only shown when a kit is asked for. */
  private kitGate(plan: QueryPlan, pos: number[]): number[] {
    const defs = this.dicts.partTypes.types;
    return pos.filter((p) => !!defs[this.index.items[p]!.partType]?.requiresKitIntent === plan.kit);
  }

  private byTypes(pos: number[], types: string[]): number[] {
    if (!types.length) return [];
    const set = new Set(types);
    return pos.filter((p) => set.has(this.index.items[p]!.partType));
  }

  /**
   * Quality and colour are what the master explicitly asked for: a grade or colour
   * we do not have means "nothing". They are ignored only for parts that carry no
   * grade/colour at all (a camera is not sold as "original" or "copy").
   */
  private strictFilters(plan: QueryPlan, pos: number[]): number[] {
    const items = pos.map((p) => this.index.items[p]!);
    const graded = items.some((it) => it.qualityTags.size > 0);
    const coloured = items.some((it) => it.color !== null);
    return pos.filter((p) => {
      const it = this.index.items[p]!;
      if (graded && !plan.quality.every((q) => it.qualityTags.has(q))) return false;
      return !coloured || !plan.color || it.color === plan.color;
    });
  }

  /** "в рамке" narrows only when such variants exist; otherwise the plain part is the answer. */
  private softFeatures(plan: QueryPlan, pos: number[]): number[] {
    let out = pos;
    for (const f of plan.features) {
      const narrowed = out.filter((p) => this.index.items[p]!.features.has(f.key) === f.wanted);
      if (narrowed.length) out = narrowed;
    }
    return out;
  }

  /**
   * Leftover known words. With a model or code they only narrow (never empty the
   * answer); without one they must match, and if they cannot, the whole query is
   * retried as plain text ("пинцет для дисплея" is a tool, not a display).
   */
  private leftoverWords(plan: QueryPlan, mode: Mode, pos: number[], score: number): Outcome {
    if (mode === 'text' || !plan.residual.length) return { ok: true, positions: pos, score };
    const soft = mode === 'model' || mode === 'code';
    let out = pos;
    for (const w of plan.residual) {
      const hits = this.index.forWord(w);
      const narrowed = out.filter((p) => contains(hits, p));
      if (narrowed.length) out = narrowed;
      else if (!soft) {
        const text = this.kitGate(plan, this.textSearch(plan.content));
        return text.length ? { ok: true, positions: text, score: 0.8 } : { ok: false, reason: 'no_text_match', pool: out };
      }
    }
    return { ok: true, positions: out, score };
  }

  /** AND of the words over item names (any inflection; a word found nowhere may be part of a compound). */
  private textSearch(words: string[]): number[] {
    if (!words.length) return [];
    const lists = words.map((w) => this.wordPostings(w)).sort((a, b) => a.length - b.length);
    return lists.reduce((acc, l) => intersect(acc, l));
  }

  private wordPostings(word: string): number[] {
    const direct = this.index.forWord(word);
    if (direct.length) return direct;
    return union(this.index.wordsContaining(word).map((w) => this.index.forWord(w)));
  }

  /**
   * In-stock first, then catalog order (which groups originals before copies).
   * Every candidate already passed the same filters, so this is a stable
   * two-tier partition that stops at `limit` (broad queries touch tens of thousands).
   */
  private rank(positions: number[], score: number, limit: number): ScoredItem[] {
    const inStock: ScoredItem[] = [];
    const rest: number[] = [];
    for (const p of positions) {
      if (this.index.items[p]!.inStock) {
        inStock.push(this.scored(p, score + IN_STOCK_BONUS));
        if (inStock.length >= limit) break;
      } else if (rest.length < limit) rest.push(p);
    }
    for (const p of rest) {
      if (inStock.length >= limit) break;
      inStock.push(this.scored(p, score));
    }
    return inStock;
  }

  private scored(pos: number, score: number): ScoredItem {
    return { id: this.index.items[pos]!.item.id, score: Math.round(score * 1000) / 1000 };
  }

  private exactResult(query: string, exact: NonNullable<ReturnType<CatalogIndex['exactLookup']>>, limit: number, t0: number): SearchResult {
    const interpretation: Interpretation = {
      normalized: exact.value,
      corrections: [],
      exact: { kind: exact.kind, value: exact.value },
      codes: [],
      models: [],
      modelMatch: 'none',
      family: [],
      partTypes: [],
      fallbackPartTypes: [],
      kit: false,
      quality: [],
      color: null,
      features: [],
      residual: [],
      ignored: [],
      unknownModelTokens: [],
    };
    const items = exact.positions.slice(0, limit).map((p) => this.scored(p, 1));
    return this.result(query, items, [], interpretation, undefined, t0);
  }

  private result(query: string, items: ScoredItem[], suggestions: ScoredItem[], it: Interpretation, reason: EmptyReason | undefined, t0: number, notes: string[] = []): SearchResult {
    return {
      query,
      items,
      nothingFound: items.length === 0,
      suggestions,
      interpretation: it,
      explanation: explain(this.dicts, it, items.length, reason, notes),
      tookMs: Math.round((performance.now() - t0) * 1000) / 1000,
    };
  }
}
