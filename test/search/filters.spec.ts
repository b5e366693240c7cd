import assert from 'node:assert/strict';
import { getEngine, idsWhere, item, searchIds, sorted } from './helpers';

const forModel = (model: string, type: string) => (i: { models?: string[] | null; part_type?: string | null }) =>
  i.part_type === type && (i.models ?? []).includes(model);

describe('search: model and part type', () => {
  it('returns exactly the displays of the named model', () => {
    const expected = idsWhere(forModel('Apple iPhone 15', 'display'));
    assert.deepEqual(sorted(searchIds('экран айфон 15')), sorted(expected));
  });

  it('matches a shared part from any of its models', () => {
    const shared = idsWhere((i) => i.part_type === 'battery' && (i.models ?? []).length > 2);
    assert.ok(shared.length > 0);
    const it0 = item(shared[0]!);
    for (const model of it0.models!) {
      const short = model.split(' ').slice(1).join(' ');
      assert.ok(searchIds(`аккумулятор ${short}`).includes(it0.id), `${model} should find ${it0.id}`);
    }
  });

  it('prefers the most specific model named', () => {
    const ids = searchIds('аккумулятор xs макс');
    assert.ok(ids.length > 0);
    for (const id of ids) assert.deepEqual(item(id).models, ['Apple iPhone XS Max']);
  });

  it('names all variants when the query is a prefix of several models', () => {
    const interp = getEngine().interpret('акб p smart');
    assert.equal(interp.modelMatch, 'partial');
    assert.deepEqual(interp.models.sort(), ['Honor P Smart 2019', 'Huawei P Smart 2019']);
  });

  it('keeps family words consistent (redmi never matches a Mi model)', () => {
    const ids = searchIds('экран редми 9');
    assert.ok(ids.length > 0);
    for (const id of ids) assert.ok(item(id).models!.includes('Xiaomi Redmi 9'));
  });

  it('resolves manufacturer model codes', () => {
    const expected = idsWhere(forModel('Samsung Galaxy A12', 'display'));
    assert.deepEqual(sorted(searchIds('дисплей sm-a125f')), sorted(expected));
  });

  it('falls back between back cover and back glass when a model has only one of them', () => {
    const ids = searchIds('задняя крышка айфон xr');
    assert.ok(ids.length > 0);
    for (const id of ids) assert.equal(item(id).part_type, 'back_glass');
  });
});

describe('search: quality and colour filters', () => {
  it('filters by quality words', () => {
    const oled = searchIds('дисплей xs max oled');
    assert.ok(oled.length > 0);
    for (const id of oled) assert.equal(item(id).quality, 'OLED');
    for (const id of searchIds('экран s21 копия')) assert.match(item(id).quality ?? '', /Копия/);
    const orig = searchIds('дисплей айфон xs оригинал');
    assert.ok(orig.length > 0);
    for (const id of orig) assert.match(item(id).quality ?? '', /^Оригинал/);
  });

  it('filters by colour in any grammatical form', () => {
    const ids = searchIds('задняя крышка галакси м21 серая');
    assert.deepEqual(ids.map((id) => item(id).color), ['серый']);
  });

  it('treats "в рамке" as a preference, not a requirement', () => {
    const framed = searchIds('дисплей s20 в рамке');
    assert.ok(framed.length > 0);
    for (const id of framed) assert.match(item(id).name, /в рамке/);
    const noFrameVariants = idsWhere(forModel('Samsung Galaxy A53', 'display'));
    assert.deepEqual(sorted(searchIds('модуль a53 в рамке')), sorted(noFrameVariants));
  });

  it('shows kits only when a kit is asked for', () => {
    for (const id of searchIds('дисплей айфон xr')) assert.equal(item(id).part_type, 'display');
    const kits = searchIds('комплект дисплей айфон xr');
    assert.ok(kits.length > 0);
    for (const id of kits) assert.equal(item(id).part_type, 'kit_display');
  });

  it('finds tools by name words, codes and compounds', () => {
    assert.deepEqual(searchIds('пинцет'), idsWhere((i) => /^Пинцет/.test(i.name)));
    assert.deepEqual(searchIds('клей т7000'), idsWhere((i) => /T-7000/.test(i.name)));
    assert.deepEqual(searchIds('коврик'), idsWhere((i) => /Термоковрик/.test(i.name)));
  });
});

describe('search: exact lookups', () => {
  it('finds by barcode, 1C code and article', () => {
    const it0 = item(10500);
    assert.deepEqual(searchIds(it0.barcode!), [10500]);
    assert.deepEqual(searchIds(it0.code!), [10500]);
    assert.deepEqual(searchIds(it0.code!.toLowerCase().replace('-', ' ')), [10500]);
    assert.deepEqual(searchIds(it0.article!), [10500]);
    assert.deepEqual(searchIds(`штрихкод ${it0.barcode}`), [10500]);
  });

  it('finds batteries by battery code, also typed with a space', () => {
    const expected = idsWhere((i) => i.name.includes('BN62'));
    assert.ok(expected.length > 0);
    assert.deepEqual(sorted(searchIds('bn62')), sorted(expected));
    assert.deepEqual(sorted(searchIds('акб bn 62')), sorted(expected));
  });
});
