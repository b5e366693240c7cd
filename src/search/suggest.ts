// Close matches for an empty result ("no iPhone 17 battery — here are iPhone 15
// ones"). Suggestions are deliberately kept OUT of the result list: precision
// of the answer matters more than filling the screen.
import type { CatalogIndex } from './catalog-index';
import { boundedDamerau } from './fuzzy';
import type { QueryPlan } from './interpret';
import type { ModelEntry } from './models';
import { hasDigit } from './text';

export type EmptyReason = 'unknown_model' | 'no_such_part' | 'filters' | 'no_text_match' | 'nothing_understood';

/** Item positions to offer instead of an empty answer. */
export function suggest(index: CatalogIndex, plan: QueryPlan, reason: EmptyReason, pool: number[], limit: number): number[] {
  if (limit <= 0) return [];
  switch (reason) {
    case 'unknown_model':
      // Without a brand or a near model there is nothing sensible to offer but shared words.
      return plan.family.length || plan.models.length ? nearestModelItems(index, plan, limit) : anyWordItems(index, plan, limit);
    case 'no_such_part':
    case 'filters':
      return pool.slice(0, limit);
    default:
      return anyWordItems(index, plan, limit);
  }
}

/** Items of the requested part type for the models closest to what was asked. */
function nearestModelItems(index: CatalogIndex, plan: QueryPlan, limit: number): number[] {
  const asked = [...plan.unknownModelTokens, ...plan.models.flatMap((m) => m.keys)];
  const family = new Set(plan.family);
  const candidates = index.registry.models.filter((m) => [...family].every((f) => m.family.has(f)) && !plan.models.includes(m));
  const nearest = candidates
    .map((m) => ({ m, d: modelDistance(asked, m) }))
    .filter((x) => Number.isFinite(x.d))
    .sort((a, b) => a.d - b.d)
    .map((x) => x.m);
  // Models named except for one extra word ("15 pro max" → 15 Pro) come first.
  const ranked = [...plan.models, ...nearest].slice(0, 3);
  const pos = [...new Set(ranked.flatMap((m) => index.forModel(m.id)))];
  const wanted = new Set([...plan.partTypes, ...plan.fallbackTypes]);
  return pos.filter((p) => !wanted.size || wanted.has(index.items[p]!.partType)).slice(0, limit);
}

function modelDistance(asked: string[], m: ModelEntry): number {
  let best = Infinity;
  for (const a of asked) {
    for (const k of m.keys) {
      if (hasDigit(a) && hasDigit(k)) {
        const letters = a.replace(/\d/g, '') === k.replace(/\d/g, '') ? 0 : 2;
        best = Math.min(best, Math.abs(num(a) - num(k)) + letters);
      } else best = Math.min(best, boundedDamerau(a, k, 3) + 1);
    }
  }
  return best;
}

const num = (s: string): number => Number(s.replace(/\D/g, '')) || 0;

/** Items sharing the most words with the query. */
function anyWordItems(index: CatalogIndex, plan: QueryPlan, limit: number): number[] {
  const hits = new Map<number, number>();
  for (const w of plan.content) for (const p of index.forWord(w)) hits.set(p, (hits.get(p) ?? 0) + 1);
  return [...hits]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, limit)
    .map(([p]) => p);
}
