// Search quality metric of SPEC §5: per query, R = first ≤10 returned ids,
// F1 = 2PR/(P+R); empty expected & empty R → 1; exactly one side empty → 0.
// Reported: mean F1 and the number of answerable queries with no result.

export const EVAL_CUTOFF = 10;

export interface GoldenQuery {
  q: string;
  expected: number[];
}

export interface EvalRow {
  q: string;
  expected: number[];
  returned: number[];
  precision: number;
  recall: number;
  f1: number;
}

export interface EvalSummary {
  queries: number;
  meanF1: number;
  /** Queries with a non-empty expected set that returned nothing. */
  noResultOnAnswerable: number;
  answerable: number;
}

/** F1 of one query; `returned` is cut to the first EVAL_CUTOFF ids. */
export function f1(expected: number[], returned: number[]): { precision: number; recall: number; f1: number } {
  const r = [...new Set(returned.slice(0, EVAL_CUTOFF))];
  const e = new Set(expected);
  if (e.size === 0 && r.length === 0) return { precision: 1, recall: 1, f1: 1 };
  if (e.size === 0 || r.length === 0) return { precision: 0, recall: 0, f1: 0 };
  const hits = r.filter((id) => e.has(id)).length;
  const precision = hits / r.length;
  const recall = hits / e.size;
  return { precision, recall, f1: hits ? (2 * precision * recall) / (precision + recall) : 0 };
}

export function evalRow(g: GoldenQuery, returned: number[]): EvalRow {
  const cut = returned.slice(0, EVAL_CUTOFF);
  return { q: g.q, expected: g.expected, returned: cut, ...f1(g.expected, cut) };
}

export function summarize(rows: EvalRow[]): EvalSummary {
  const answerable = rows.filter((r) => r.expected.length > 0);
  return {
    queries: rows.length,
    meanF1: rows.length ? rows.reduce((s, r) => s + r.f1, 0) / rows.length : 0,
    noResultOnAnswerable: answerable.filter((r) => r.returned.length === 0).length,
    answerable: answerable.length,
  };
}

/** Runs `search` over the golden set. */
export function evaluate(golden: GoldenQuery[], search: (q: string) => number[]): { rows: EvalRow[]; summary: EvalSummary } {
  const rows = golden.map((g) => evalRow(g, search(g.q)));
  return { rows, summary: summarize(rows) };
}

/** The one-line summary printed by scripts/search-eval.ts. */
export function formatSummary(s: EvalSummary): string {
  return `queries=${s.queries} meanF1=${s.meanF1.toFixed(3)} no_result_on_answerable=${s.noResultOnAnswerable}`;
}
