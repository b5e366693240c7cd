import assert from 'node:assert/strict';
import { detectIntent, IntentsDataError, loadIntentRules, parseIntentRules } from '../../src/assistant/intents';
import { parseCommand } from '../../src/assistant/normalize';

describe('assistant: intents without a command (data/assistant/intents.json)', () => {
  const rules = loadIntentRules();

  it('plain text is a search', () => {
    for (const q of ['дисплей айфон 11', 'акб redmi 9a', 'SM-A515F дисплей', 'шлейф зарядки самсунг а51', 'корзина для сим iphone 11']) {
      assert.deepEqual(detectIntent(q, rules), { intent: 'search', query: q }, q);
    }
  });

  it('tracking phrases → /track (anywhere in the message)', () => {
    for (const q of ['где мой заказ', 'Где мой заказ?', 'статус заказа Z-000012', 'какой трек у посылки', 'когда привезут?', 'Отследить заказ']) {
      assert.equal(detectIntent(q, rules).intent, 'track', q);
    }
  });

  it('«корзина» → /cart, «мои заказы» → /myorders, «возврат» → /return, greetings, thanks, help, cancel', () => {
    assert.equal(detectIntent('Корзина', rules).intent, 'cart');
    assert.equal(detectIntent('что в корзине?', rules).intent, 'cart');
    assert.equal(detectIntent('мои заказы', rules).intent, 'myorders');
    assert.equal(detectIntent('Хочу вернуть', rules).intent, 'return');
    assert.equal(detectIntent('Привет!', rules).intent, 'greeting');
    assert.equal(detectIntent('спасибо большое', rules).intent, 'thanks');
    assert.equal(detectIntent('что ты умеешь?', rules).intent, 'help');
    assert.equal(detectIntent('отмена', rules).intent, 'cancel');
  });

  it('how-to phrases → /howto with the whole question; compat phrases → /compat with the rest', () => {
    const howto = detectIntent('Как поменять дисплей на айфон 11?', rules);
    assert.equal(howto.intent, 'howto');
    assert.equal(howto.intent === 'howto' && howto.text, 'Как поменять дисплей на айфон 11?');
    assert.equal(detectIntent('как заменить акб redmi 9a', rules).intent, 'howto');
    assert.equal(detectIntent('что делать если не заряжается', rules).intent, 'howto');
    const compat = detectIntent('Что подходит к Редми 9А?', rules);
    assert.deepEqual(compat.intent === 'compat' && [compat.phrase, compat.rest], ['что подходит к', 'редми 9а']);
    const compat2 = detectIntent('совместимость с redmi 9c', rules);
    assert.deepEqual(compat2.intent === 'compat' && compat2.rest, 'redmi 9c', 'the longest phrase wins');
    assert.equal(detectIntent('совместимость дисплея redmi 9c', rules).intent, 'compat');
  });

  it('rules are validated data', () => {
    assert.throws(() => parseIntentRules({ rules: [{ intent: 'dance', match: 'exact', phrases: ['x'] }] }), IntentsDataError);
    assert.throws(() => parseIntentRules({ rules: [{ intent: 'cart', match: 'fuzzy', phrases: ['x'] }] }), IntentsDataError);
    assert.throws(() => parseIntentRules({ rules: [{ intent: 'cart', match: 'exact', phrases: ['!!!'] }] }), IntentsDataError);
    const custom = parseIntentRules({ rules: [{ intent: 'cart', match: 'exact', phrases: ['Кошик'] }] });
    assert.equal(detectIntent('кошик', custom).intent, 'cart');
  });

  it('commands: /cmd@bot args', () => {
    assert.deepEqual(parseCommand('/find дисплей iPhone 11'), { command: 'find', args: 'дисплей iPhone 11' });
    assert.deepEqual(parseCommand('/FIND@master_bot  акб'), { command: 'find', args: 'акб', bot: 'master_bot' });
    assert.deepEqual(parseCommand('/start'), { command: 'start', args: '' });
    assert.deepEqual(parseCommand('/найти дисплей'), { command: 'найти', args: 'дисплей' });
    assert.equal(parseCommand('дисплей /find'), undefined);
    assert.equal(parseCommand('//comment'), undefined);
  });
});
