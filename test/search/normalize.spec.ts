import assert from 'node:assert/strict';
import { latinToRussianLayout, russianToLatinLayout } from '../../src/search/layout';
import { foldNumberWords } from '../../src/search/numbers';
import { adjectiveForms, foldCase, splitChunk, stemCandidates } from '../../src/search/text';
import { latinReadings } from '../../src/search/translit';
import { getNormalizer, normTexts } from './helpers';

describe('search: text basics', () => {
  it('folds case and ё', () => {
    assert.equal(foldCase('Чёрный ЭКРАН'), 'черный экран');
  });

  it('glues hyphenated codes but splits word compounds', () => {
    assert.deepEqual(splitChunk('eb-bn123abx'), ['ebbn123abx']);
    assert.deepEqual(splitChunk('ут-00012345'), ['ут00012345']);
    assert.deepEqual(splitChunk('sim-карты'), ['sim', 'карты']);
    assert.deepEqual(splitChunk('7+'), ['7', 'plus']);
  });

  it('generates stems that let inflections meet', () => {
    const shared = (a: string, b: string) => stemCandidates(a).some((s) => stemCandidates(b).includes(s));
    assert.ok(shared('дисплей', 'дисплея'));
    assert.ok(shared('крышка', 'крышки'));
    assert.ok(shared('синий', 'синяя'));
    assert.ok(!shared('экран', 'камера'));
  });

  it('inflects adjectives', () => {
    assert.deepEqual(adjectiveForms('белый'), ['белая', 'белое', 'белые', 'белую']);
    assert.deepEqual(adjectiveForms('верхний').length, 4);
    assert.deepEqual(adjectiveForms('экран'), []);
  });
});

describe('search: keyboard layout', () => {
  it('converts both ways', () => {
    assert.equal(latinToRussianLayout('frrevekznjh'), 'аккумулятор');
    assert.equal(russianToLatinLayout('ыфьыгтп'), 'samsung');
    assert.equal(latinToRussianLayout(',fnfhtqrf'), 'батарейка');
  });

  it('fixes a Russian query typed on the Latin layout', () => {
    assert.deepEqual(normTexts('pflyzz rhsirf'), ['задняя', 'крышка']);
    assert.deepEqual(normTexts('rfvthf'), ['камера']);
  });

  it('fixes a Latin model typed on the Russian layout', () => {
    assert.deepEqual(normTexts('ыфьыгтп'), ['samsung']);
    assert.deepEqual(normTexts('кувьш тщеу'), ['redmi', 'note']);
  });

  it('leaves correct text alone and does not swap into noise', () => {
    assert.deepEqual(normTexts('samsung экран'), ['samsung', 'экран']);
    const nq = getNormalizer().normalize('верхий динамик');
    assert.ok(!nq.corrections.some((c) => c.kind === 'layout'));
  });

  it('converts letters+digits typed on the wrong layout', () => {
    assert.deepEqual(normTexts('f71'), ['a71']);
  });
});

describe('search: numbers spoken as words', () => {
  it('folds components', () => {
    assert.deepEqual(foldNumberWords([{ value: 30, multiplier: false }, { value: 2, multiplier: false }]), [32]);
    assert.deepEqual(foldNumberWords([{ value: 5, multiplier: false }, { value: 6, multiplier: false }]), [5, 6]);
    assert.deepEqual(
      foldNumberWords([
        { value: 2, multiplier: false },
        { value: 1000, multiplier: true },
        { value: 19, multiplier: false },
      ]),
      [2019],
    );
    assert.deepEqual(foldNumberWords([{ value: 10, multiplier: false }, { value: 1, multiplier: false }]), [10, 1]);
  });

  it('reads voice transcripts', () => {
    assert.deepEqual(normTexts('айфон тринадцать про'), ['iphone', '13', 'pro']);
    assert.deepEqual(normTexts('самсунг а семьдесят один'), ['samsung', 'a71']);
    assert.deepEqual(normTexts('айфон се две тысячи двадцать'), ['iphone', 'se', '2020']);
    assert.deepEqual(normTexts('редми десять а'), ['redmi', '10a']);
    assert.deepEqual(normTexts('реалми си одиннадцать'), ['realme', 'c11']);
  });
});

describe('search: transliteration of model names', () => {
  it('maps Cyrillic brand and model words', () => {
    assert.deepEqual(normTexts('хонор'), ['honor']);
    assert.deepEqual(normTexts('сяоми редми ноут'), ['xiaomi', 'redmi', 'note']);
    assert.deepEqual(normTexts('галакси'), ['galaxy']);
    assert.deepEqual(normTexts('реалми'), ['realme']);
    assert.deepEqual(normTexts('мини лайт про'), ['mini', 'lite', 'pro']);
  });

  it('reads Cyrillic letters inside model keys', () => {
    assert.deepEqual(normTexts('м21'), ['m21']);
    assert.deepEqual(normTexts('р30'), ['p30']);
    assert.deepEqual(normTexts('8х'), ['8x']);
    // "с" is S for Samsung and C for Realme: both readings are kept for the model resolver.
    const tok = getNormalizer().normalize('с21').tokens[0]!;
    assert.deepEqual([tok.text, ...tok.alts].sort(), ['c21', 's21']);
  });

  it('offers several Latin readings', () => {
    assert.ok(latinReadings('с11').includes('c11'));
    assert.ok(latinReadings('с11').includes('s11'));
  });

  it('splits glued words and numbers', () => {
    assert.deepEqual(normTexts('iphone13pro'), ['iphone', '13', 'pro']);
  });
});

describe('search: typo correction', () => {
  it('corrects part words and brands', () => {
    assert.deepEqual(normTexts('акамулятор'), ['акумулятор']);
    assert.deepEqual(normTexts('экарн'), ['экран']);
    assert.deepEqual(normTexts('samsnug'), ['samsung']);
  });

  it('corrects inflected typos through the stem', () => {
    const [w] = normTexts('каммеру');
    assert.match(w!, /^камер/);
  });

  it('does not correct short words or numbers', () => {
    assert.deepEqual(normTexts('xyz 16'), ['xyz', '16']);
  });
});
