import assert from 'node:assert/strict';
import { getEngine, item } from './helpers';

describe('search: empty results and suggestions', () => {
  it('answers nothing for a model we do not stock, and suggests the nearest ones', () => {
    const r = getEngine().search('экран айфон 6');
    assert.equal(r.nothingFound, true);
    assert.deepEqual(r.items, []);
    assert.equal(r.interpretation.modelMatch, 'unknown');
    assert.ok(r.suggestions.length > 0);
    for (const s of r.suggestions) assert.equal(item(s.id).part_type, 'display');
    assert.match(r.explanation, /Ничего не найдено/);
  });

  it('does not read an extra variant word as the base model', () => {
    const r = getEngine().search('дисплей iphone 15 pro max');
    assert.deepEqual(r.items, []);
    assert.ok(r.suggestions.length > 0);
    assert.ok(item(r.suggestions[0]!.id).models!.includes('Apple iPhone 15 Pro'));
  });

  it('answers nothing for brands we do not stock', () => {
    for (const q of ['акб sony xperia 10', 'экран pixel 6', 'дисплей meizu m6', 'крышка oneplus 9']) {
      assert.deepEqual(getEngine().search(q).items, [], q);
    }
  });

  it('answers nothing when the model has no such part', () => {
    const r = getEngine().search('проклейка самсунг а71');
    assert.deepEqual(r.items, []);
    assert.ok(r.suggestions.length > 0);
  });

  it('answers nothing when the requested quality or colour does not exist', () => {
    assert.deepEqual(getEngine().search('экран айфон xr oled').items, []);
    assert.deepEqual(getEngine().search('крышка mi 9 розовая').items, []);
  });

  it('answers nothing for gibberish', () => {
    const r = getEngine().search('qqqq zzzz');
    assert.deepEqual(r.items, []);
    assert.equal(r.nothingFound, true);
  });

  it('explains how the query was read', () => {
    const r = getEngine().search('frrevekznjh ыфьыгтп а71');
    assert.match(r.explanation, /Аккумулятор/);
    assert.match(r.explanation, /Samsung Galaxy A71/);
    assert.match(r.explanation, /раскладка/);
    assert.ok(r.items.length > 0);
  });
});
