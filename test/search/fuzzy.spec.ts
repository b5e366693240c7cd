import assert from 'node:assert/strict';
import { allowedEdits, boundedDamerau, FuzzyIndex } from '../../src/search/fuzzy';
import { searchIds, idsWhere, sorted } from './helpers';

describe('search: fuzzy matching', () => {
  it('computes Damerau-Levenshtein distances', () => {
    assert.equal(boundedDamerau('экран', 'экран', 2), 0);
    assert.equal(boundedDamerau('экарн', 'экран', 2), 1); // adjacent swap counts once
    assert.equal(boundedDamerau('батарйя', 'батарея', 2), 1);
    assert.equal(boundedDamerau('акб', 'аккумулятор', 2), 3); // bounded: > max reported as max+1
  });

  it('tolerates more edits in longer words only', () => {
    assert.equal(allowedEdits(3), 0);
    assert.equal(allowedEdits(6), 1);
    assert.equal(allowedEdits(11), 2);
  });

  it('prefers trusted dictionary words on ties and keeps equally close alternatives', () => {
    const f = new FuzzyIndex();
    f.add('крышка', 3);
    f.add('крышки', 1);
    const hit = f.correct('крышко');
    assert.ok(hit);
    assert.equal(hit.distance, 1);
    assert.equal(hit.words[0], 'крышка');
    assert.ok(hit.words.includes('крышки'));
  });

  it('reaches words through their stems', () => {
    const f = new FuzzyIndex();
    f.add('камер', 1, 'камера');
    assert.deepEqual(f.correct('каммер')?.words, ['камера']);
  });

  it('finds parts despite typos in part type, brand and model words', () => {
    const expected = idsWhere((i) => i.part_type === 'battery' && (i.models ?? []).includes('Samsung Galaxy A71'));
    assert.ok(expected.length > 0);
    assert.deepEqual(sorted(searchIds('акамулятор samsnug a71')), sorted(expected));
    assert.deepEqual(sorted(searchIds('аккумлятор самсуг а71')), sorted(expected));
  });

  it('never fuzzes numbers into another model', () => {
    // There is no iPhone 17: the answer is nothing, not the iPhone 15 or iPhone 7.
    assert.deepEqual(searchIds('батарейка айфон 17'), []);
  });
});
