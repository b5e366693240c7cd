import assert from 'node:assert/strict';
import { assignFileNames } from '../../src/flows/file-names';
import { slugify } from '../../src/flows/slug';

describe('flow file names', () => {
  it('slugifies labels with Cyrillic transliterated', () => {
    assert.equal(slugify('Заказы / Неси (COD)'), 'zakazy-nesi-cod');
    assert.equal(slugify('Синхронизация НСИ: УТ 10.3 → УТ 11'), 'sinkhronizatsiya-nsi-ut-10-3-ut-11');
    assert.equal(slugify('Щётка_Жёлтая'), 'shchetka-zheltaya');
    assert.equal(slugify('Café déjà vu'), 'cafe-deja-vu');
    assert.equal(slugify('🙂 ***'), '');
    assert.ok(slugify('очень '.repeat(30)).length <= 50);
    assert.ok(!slugify('очень '.repeat(30)).endsWith('-'));
  });

  it('names tabs and subflows, avoiding reserved and empty names', () => {
    const names = assignFileNames(
      [
        { id: 'a1', kind: 'tab', label: 'Manifest' },
        { id: 'a2', kind: 'tab', label: 'Subflow helpers' },
        { id: 'a3', kind: 'tab', label: '' },
        { id: 'b1', kind: 'subflow', label: 'Ретраи' },
        { id: 'b2', kind: 'subflow', label: '' },
      ],
      [],
    );
    assert.deepEqual(Object.fromEntries(names), {
      a1: 'tab-manifest.json',
      a2: 'tab-subflow-helpers.json',
      a3: 'tab-a3.json',
      b1: 'subflow-retrai.json',
      b2: 'subflow-b2.json',
    });
  });

  it('keeps an existing name while the label is unchanged, renames when it changes', () => {
    const existing = [
      { id: 'x', kind: 'tab' as const, label: 'Поиск', name: 'poisk-old-hand-made.json' },
      { id: 'y', kind: 'tab' as const, label: 'Заказы', name: 'zakazy.json' },
    ];
    const names = assignFileNames(
      [
        { id: 'y', kind: 'tab', label: 'Поиск' },
        { id: 'x', kind: 'tab', label: 'Поиск' },
        { id: 'z', kind: 'tab', label: 'Заказы' },
      ],
      existing,
    );
    assert.deepEqual(Object.fromEntries(names), {
      x: 'poisk-old-hand-made.json', // label unchanged: kept, even though hand-made
      y: 'poisk.json', // renamed tab: new name from the new label
      z: 'zakazy.json', // free again once y left it
    });
  });

  it('resolves collisions with the id, then longer ids', () => {
    const names = assignFileNames(
      [
        { id: 'abcdef01', kind: 'tab', label: 'A' },
        { id: 'abcdef02', kind: 'tab', label: 'A' },
        { id: 'abcdef03', kind: 'tab', label: 'A' },
      ],
      [],
    );
    assert.deepEqual([...names.values()], ['a.json', 'a-abcdef.json', 'a-abcdef03.json']);
  });
});
