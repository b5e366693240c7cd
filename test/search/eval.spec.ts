import assert from 'node:assert/strict';
import { evaluate, f1, formatSummary, summarize, evalRow } from '../../src/search/eval';

describe('search: evaluation metric (SPEC §5)', () => {
  it('scores perfect, partial and disjoint answers', () => {
    assert.equal(f1([1, 2], [2, 1]).f1, 1);
    const half = f1([1, 2], [1, 3]); // P = 1/2, R = 1/2
    assert.equal(half.precision, 0.5);
    assert.equal(half.recall, 0.5);
    assert.equal(half.f1, 0.5);
    const mixed = f1([1, 2, 3, 4], [1]); // P = 1, R = 1/4 → F1 = 0.4
    assert.ok(Math.abs(mixed.f1 - 0.4) < 1e-12);
    assert.equal(f1([1], [2]).f1, 0);
  });

  it('handles empty sides', () => {
    assert.equal(f1([], []).f1, 1);
    assert.equal(f1([], [1]).f1, 0);
    assert.equal(f1([1], []).f1, 0);
  });

  it('only counts the first 10 returned ids', () => {
    const returned = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 1];
    assert.equal(f1([1], returned).f1, 0);
    assert.equal(evalRow({ q: 'x', expected: [1] }, returned).returned.length, 10);
  });

  it('summarises mean F1 and answerable queries without results', () => {
    const golden = [
      { q: 'a', expected: [1] },
      { q: 'b', expected: [2] },
      { q: 'c', expected: [] },
    ];
    const answers: Record<string, number[]> = { a: [1], b: [], c: [] };
    const { summary } = evaluate(golden, (q) => answers[q]!);
    assert.equal(summary.queries, 3);
    assert.ok(Math.abs(summary.meanF1 - 2 / 3) < 1e-12);
    assert.equal(summary.noResultOnAnswerable, 1);
    assert.equal(formatSummary(summary), 'queries=3 meanF1=0.667 no_result_on_answerable=1');
    assert.equal(summarize([]).meanF1, 0);
  });
});
