// Query interpretation: normalised tokens → structured plan (codes, model,
// part type, quality, colour, construction variant, leftover words). Each
// dictionary phrase consumes its tokens so one word is never read twice
// ("стекло камеры" is camera glass, not "glass" + "camera").
import type { CatalogIndex } from './catalog-index';
import type { Dictionaries, PartPhrase } from './dictionaries';
import { PhraseMatcher } from './lexicon';
import type { ModelEntry } from './models';
import type { NormalizedQuery, QueryToken } from './normalize';
import { foldCase, hasDigit, hasLatin, isAlpha } from './text';
import type { Interpretation, ModelMatch } from './types';
import type { Vocabulary } from './vocabulary';

export interface QueryPlan {
  tokens: QueryToken[];
  codes: string[];
  models: ModelEntry[];
  /** Tried before `models` when a bare number was ambiguous across brands. */
  preferredModels?: ModelEntry[];
  modelMatch: ModelMatch;
  family: string[];
  partTypes: string[];
  fallbackTypes: string[];
  kit: boolean;
  quality: string[];
  color: string | null;
  features: { key: string; wanted: boolean }[];
  /** Known words no dictionary consumed: soft evidence to narrow a result. */
  residual: string[];
  /** Every meaningful word, for the plain-text fallback. */
  content: string[];
  ignored: string[];
  unknownModelTokens: string[];
}

/** Everything a dictionary phrase can mean. One matcher for all kinds, so the longest reading wins across kinds. */
type Concept =
  | { kind: 'part'; phrase: PartPhrase }
  | { kind: 'kit' }
  | { kind: 'quality'; tag: string }
  | { kind: 'color'; color: string }
  | { kind: 'feature'; key: string; wanted: boolean };

export class Interpreter {
  private readonly phrases = new PhraseMatcher<Concept>();

  constructor(
    private readonly dicts: Dictionaries,
    private readonly index: CatalogIndex,
    private readonly vocab: Vocabulary,
  ) {
    const f = (ws: string[]) => ws.map(foldCase);
    const add = (words: string[], c: Concept) => this.phrases.add(f(words), c);
    for (const p of dicts.partTypes.phrases) add(p.words, { kind: 'part', phrase: p });
    for (const p of dicts.partTypes.kit.phrases) add(p, { kind: 'kit' });
    for (const q of dicts.qualities) for (const p of q.phrases) add(p, { kind: 'quality', tag: q.tag });
    for (const [color, words] of Object.entries(dicts.colors)) for (const w of [color, ...words]) add(w.split(/[\s-]+/), { kind: 'color', color });
    for (const ft of dicts.features) {
      for (const p of ft.positive) add(p, { kind: 'feature', key: ft.key, wanted: true });
      for (const p of ft.negative) add(p, { kind: 'feature', key: ft.key, wanted: false });
    }
  }

  plan(nq: NormalizedQuery): QueryPlan {
    const tokens = nq.tokens;
    const used = tokens.map(() => false);
    const codes = this.findCodes(tokens, used);
    const concepts = this.phrases.match(tokens, used).map((h) => h.payload);
    const kit = concepts.some((c) => c.kind === 'kit');
    const features = concepts.flatMap((c) => (c.kind === 'feature' ? [{ key: c.key, wanted: c.wanted }] : []));
    const quality = unique(concepts.flatMap((c) => (c.kind === 'quality' ? [c.tag] : [])));
    const color = concepts.flatMap((c) => (c.kind === 'color' ? [c.color] : []))[0] ?? null;
    const typeHits = concepts.flatMap((c) => (c.kind === 'part' ? [c.phrase] : []));
    const { partTypes, fallbackTypes } = this.partTypes(typeHits, kit);
    const res = this.index.registry.resolve(tokens, used, (t) => this.vocab.isStop(t));
    const modelUsed = new Set(res.used);
    res.used.forEach((p) => (used[p] = true));
    const leftovers = this.leftovers(tokens, used, res.models.length > 0);
    return {
      tokens,
      codes,
      models: res.models,
      preferredModels: res.preferred,
      modelMatch: res.match,
      family: res.family,
      partTypes,
      fallbackTypes,
      kit,
      quality,
      color,
      features,
      residual: leftovers.residual,
      // Unknown long words stay in (they may be part of a compound name: "коврик" → "термоковрик"),
      // and so do unknown codes/numbers ("a55"): a product name must contain them.
      content: tokens.filter((t, i) => !t.stop && !modelUsed.has(i) && (t.known || t.text.length >= 5 || hasDigit(t.text))).map((t) => t.text),
      ignored: leftovers.ignored,
      unknownModelTokens: unique([...res.unknownTokens, ...leftovers.unknownLatin]),
    };
  }

  /** Part/battery codes and articles ("bn62", "eb-ba217aby", "t7000"); model keys are not codes. */
  private findCodes(tokens: QueryToken[], used: boolean[]): string[] {
    const reg = this.index.registry;
    const out: string[] = [];
    tokens.forEach((t, i) => {
      if (t.stop || !hasDigit(t.text) || reg.keyVocab.has(t.text)) return;
      if (reg.byModelCode(t.text)) return; // resolved as a model later
      if (this.index.forCode(t.text).length) {
        out.push(t.text);
        used[i] = true;
      }
    });
    return out;
  }

  private partTypes(hits: PartPhrase[], kit: boolean): { partTypes: string[]; fallbackTypes: string[] } {
    const primary = unique(hits.flatMap((h) => h.types));
    const defs = this.dicts.partTypes.types;
    if (kit) {
      const byType = this.dicts.partTypes.kit.byType;
      const mapped = unique(primary.map((t) => byType[t]).filter((t): t is string => !!t));
      const allKits = Object.keys(defs).filter((t) => defs[t]?.requiresKitIntent);
      return { partTypes: mapped.length ? mapped : allKits, fallbackTypes: [] };
    }
    const declared = [...hits.flatMap((h) => h.fallback ?? []), ...primary.flatMap((t) => defs[t]?.fallback ?? [])];
    return { partTypes: primary, fallbackTypes: unique(declared).filter((t) => !primary.includes(t)) };
  }

  private leftovers(tokens: QueryToken[], used: boolean[], haveModel: boolean) {
    const residual: string[] = [];
    const ignored: string[] = [];
    const unknownLatin: string[] = [];
    tokens.forEach((t, i) => {
      if (used[i] || t.stop) return;
      if (t.known && this.index.forWord(t.text).length) residual.push(t.text);
      else {
        ignored.push(t.raw);
        // An unknown Latin word in a Russian request is almost always a brand or model name we do not stock.
        if (!haveModel && !t.known && isAlpha(t.text) && hasLatin(t.text) && t.text.length >= 3) unknownLatin.push(t.text);
      }
    });
    return { residual, ignored, unknownLatin };
  }

  /** Public, serialisable view of a plan. */
  describe(nq: NormalizedQuery, plan: QueryPlan): Interpretation {
    return {
      normalized: plan.tokens.filter((t) => !t.stop).map((t) => t.text).join(' '),
      corrections: nq.corrections,
      codes: plan.codes,
      models: plan.models.map((m) => m.name),
      modelMatch: plan.modelMatch,
      family: plan.family,
      partTypes: plan.partTypes,
      fallbackPartTypes: plan.fallbackTypes,
      kit: plan.kit,
      quality: plan.quality,
      color: plan.color,
      features: plan.features,
      residual: plan.residual,
      ignored: plan.ignored,
      unknownModelTokens: plan.unknownModelTokens,
    };
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
