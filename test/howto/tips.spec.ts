import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultTips, detectModel, findTipsFile, kitFor, matchTip, parseTips, stem, TipsDataError, type Tip } from '../../src/howto';
import { loadCatalog, loadDevices, SearchEngine } from '../../src/search';

const FIXTURES = path.resolve(__dirname, '../fixtures');

describe('how-to tips (data/howto/tips.json)', () => {
  const tips = defaultTips();

  it('loads and validates 15–25 tips with 3–6 steps, safety notes and a kit each', () => {
    assert.ok(tips.tips.length >= 15 && tips.tips.length <= 25, `${tips.tips.length} tips`);
    assert.equal(tips.fallback.id, 'general');
    for (const tip of tips.tips) {
      assert.ok(tip.steps.length >= 3 && tip.steps.length <= 6, tip.id);
      assert.ok(tip.safety.length >= 1, tip.id);
      assert.ok(tip.kit.tools.length >= 1, tip.id);
      for (const text of [tip.title, ...tip.steps, ...tip.safety]) assert.match(text, /[а-яё]/i, `${tip.id}: Russian text`);
    }
    assert.equal(findTipsFile(path.resolve(__dirname, '../../nodes/mw-howto')), path.resolve(__dirname, '../../data/howto/tips.json'), 'found from a bundled node folder');
  });

  it('refuses broken data with every problem listed', () => {
    const good = JSON.parse(readFileSync(findTipsFile(), 'utf8')) as { tips: Array<Record<string, unknown>> };
    const broken = structuredClone(good);
    broken.tips.push({ ...broken.tips[0] });
    (broken.tips[1] as { steps: string[] }).steps = ['один'];
    (broken.tips[2] as { kit: { parts: string[] } }).kit.parts = ['аккумулятор {brand}'];
    (broken.tips[3] as { safety: string[] }).safety = ['Подробнее на https://example.com'];
    assert.throws(
      () => parseTips(broken),
      (e: unknown) => {
        assert.ok(e instanceof TipsDataError);
        const all = e.problems.join('\n');
        assert.match(all, /duplicate id/);
        assert.match(all, /steps must be 3–6/);
        assert.match(all, /\{brand\}/);
        assert.match(all, /no links/);
        return true;
      },
    );
    assert.throws(() => parseTips({ ...good, fallback: 'nope' }), /fallback tip "nope"/);
  });

  describe('matching questions', () => {
    const cases: Array<[string, string, string | undefined]> = [
      ['как поменять дисплей на айфон 11', 'display_iphone', 'айфон 11'],
      ['разбил экран поко x3 nfc', 'display', 'поко x3 nfc'],
      ['замена тачскрина хонор 9 а', 'display', 'хонор 9 а'],
      ['замена акб редми 9а', 'battery', 'редми 9а'],
      ['аккумулятор не держит заряд', 'battery', undefined],
      ['вздулась батарея самсунг а51', 'battery_swollen', 'самсунг а51'],
      ['не заряжается iphone 11', 'charging_port', 'iphone 11'],
      ['меняю шлейф зарядки на редми ноут 8т', 'charging_port', 'редми ноут 8т'],
      ['меня не слышат', 'microphone', undefined],
      ['поменять стекло камеры на айфоне 11', 'camera_glass', 'айфон 11'],
      ['заднее стекло iphone 12 pro max', 'back_glass_iphone', 'iphone 12 pro max'],
      ['задняя крышка самсунг а12', 'back_cover', 'самсунг а12'],
      ['фронталка айфон x', 'front_camera', 'айфон x'],
      ['камера не фокусируется редми 9', 'rear_camera', 'редми 9'],
      ['не слышно собеседника honor 10 lite', 'earpiece', 'honor 10 lite'],
      ['тихо играет звонок', 'loudspeaker', undefined],
      ['не работает кнопка включения', 'power_flex', undefined],
      ['не видит симку', 'sim_tray', undefined],
      ['утопил телефон в воде', 'water_damage', undefined],
      ['как паять разъем', 'soldering', undefined],
      ['отклеился экран', 'adhesive', undefined],
      ['как разобрать самсунг галакси а51', 'opening', 'самсунг галакси а51'],
      ['не включается редми ноут 10 про', 'no_power', 'редми ноут 10 про'],
      ['батарейка a51', 'battery', 'a51'],
      ['привет как дела', 'general', undefined],
    ];
    for (const [q, topic, model] of cases) {
      it(`"${q}" → ${topic}${model ? ` (${model})` : ''}`, () => {
        const m = matchTip(q, tips);
        assert.equal(m.tip.id, topic);
        assert.equal(m.model, model);
        assert.equal(m.matched, topic !== 'general');
      });
    }

    it('prefers brand-specific tips when the brand is known and skips them for other brands', () => {
      assert.equal(matchTip('замена дисплея', tips).tip.id, 'display', 'unknown brand: the general tip');
      assert.equal(matchTip('замена дисплея', tips, { model: 'iPhone 13' }).tip.id, 'display_iphone', 'the model from the flow counts');
      assert.equal(matchTip('заднее стекло самсунг s21', tips).tip.id, 'back_cover');
    });

    it('finds device models and brands', () => {
      assert.deepEqual(detectModel('дисплей на айфоне 11 про макс'), { model: 'айфон 11 про макс', brand: 'apple' });
      assert.deepEqual(detectModel('самсунг галакси а51 экран'), { model: 'самсунг галакси а51', brand: 'samsung' });
      assert.deepEqual(detectModel('айфон 11 с разбитым экраном'), { model: 'айфон 11', brand: 'apple' });
      assert.deepEqual(detectModel('редми ноут восемь'), { model: 'редми ноут восемь', brand: 'xiaomi' });
      assert.deepEqual(detectModel('аккумулятор SM-A515F'), { model: 'sm-a515f' });
      assert.deepEqual(detectModel('просто айфон'), { brand: 'apple' });
      assert.deepEqual(detectModel('ми помогите'), {});
      assert.equal(stem('дисплея'), 'диспле');
      assert.equal(stem('заряжается'), 'заряжает');
    });
  });

  describe('kits resolve in the real catalog search', () => {
    const catalog = loadCatalog(path.join(FIXTURES, 'catalog.jsonl'));
    const engine = SearchEngine.fromCatalog(catalog, loadDevices(path.join(FIXTURES, 'devices.json')));
    const byId = new Map(catalog.map((item) => [item.id, item]));
    const first = (q: string) => {
      const r = engine.search(q);
      return r.items.length ? byId.get(r.items[0].id) : undefined;
    };
    // A phone the fixture catalog has the tip's parts for.
    const modelFor: Record<string, string> = { display: 'самсунг а51', battery: 'редми 9а', back_cover: 'самсунг а12', charging_port: 'самсунг а12', front_camera: 'айфон 8 плюс' };

    for (const tip of defaultTips().tips) {
      it(`${tip.id}: every part, tool and bundle query finds the right kind of item`, () => {
        const model = modelFor[tip.id] ?? 'айфон 11';
        const kit = kitFor(tip as Tip, model);
        for (const q of kit.parts) {
          const item = first(q);
          assert.ok(item, `"${q}" finds something`);
          assert.ok(tip.partTypes.includes(item.part_type ?? ''), `"${q}" → ${item.part_type} (${item.name}) is one of ${tip.partTypes.join(', ')}`);
        }
        for (const q of kit.tools) assert.equal(first(q)?.part_type, 'tool', `"${q}" finds a tool`);
        if (kit.bundle) assert.match(first(kit.bundle)?.part_type ?? '', /^kit_/, `"${kit.bundle}" finds a ready-made kit`);
      });
    }

    it('without a model, asks for it instead of searching parts for any phone', () => {
      const kit = kitFor(defaultTips().byId.get('display')!, undefined);
      assert.equal(kit.needsModel, true);
      assert.deepEqual(kit.queries, kit.tools);
      assert.deepEqual(kit.parts, ['дисплей']);
      assert.equal(kit.bundle, undefined);
      assert.equal(kitFor(defaultTips().byId.get('soldering')!, undefined).needsModel, false, 'tools-only kits need no model');
    });
  });
});
