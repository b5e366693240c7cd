import assert from 'node:assert/strict';
import * as path from 'node:path';
import { evaluate, type GoldenQuery } from '../../src/search/eval';
import { readJsonl } from '../../src/search/io';
import { FIXTURES, getEngine } from './helpers';

describe('search: golden set (SPEC §4 goal)', () => {
  it('reaches mean F1 ≥ 0.90 with ≤ 3 % answerable queries unanswered', () => {
    const golden = readJsonl<GoldenQuery>(path.join(FIXTURES, 'golden-dev.jsonl'));
    const engine = getEngine();
    const { rows, summary } = evaluate(golden, (q) => engine.search(q).items.map((i) => i.id));
    const worst = rows.filter((r) => r.f1 < 1).map((r) => `${r.f1.toFixed(2)} ${r.q}`);
    assert.ok(summary.meanF1 >= 0.9, `meanF1=${summary.meanF1.toFixed(3)}\n${worst.join('\n')}`);
    assert.ok(summary.noResultOnAnswerable <= Math.floor(0.03 * summary.answerable), `no result on ${summary.noResultOnAnswerable} answerable queries`);
  });
});
