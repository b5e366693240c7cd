import assert from 'node:assert/strict';
import {
  chatCompletionsEndpoint,
  cleanQuestion,
  createLlmClient,
  defaultTips,
  HOWTO_SYSTEM_PROMPT,
  howTo,
  KIT_BUTTON_TEXT,
  kitCallbackData,
  kitFromCallback,
  llmConfigFromEnv,
  LlmAuthError,
  LlmRequestError,
  LlmUnavailableError,
  OpenAiChatClient,
  parseKitCallback,
  parseTipAnswer,
  renderHowTo,
  type LlmConfig,
} from '../../src/howto';
import type { JournalEntry } from '../../src/journal/entry';
import { toJournalRow } from '../../src/journal/entry';
import { createLlmSandbox, DEFAULT_LLM_API_KEY, type LlmSandbox } from '../../sandbox/llm';

describe('/howto (src/howto)', () => {
  let llm: LlmSandbox;
  let url: string;
  let journal: JournalEntry[];
  before(async () => {
    llm = createLlmSandbox();
    url = await llm.start();
  });
  after(() => llm.stop());
  beforeEach(() => {
    llm.reset();
    journal = [];
  });

  const client = (over: Partial<LlmConfig> = {}): OpenAiChatClient =>
    new OpenAiChatClient({ url: `${url}/v1`, apiKey: DEFAULT_LLM_API_KEY, model: 'gpt-4o-mini', journal: (e) => void journal.push(e), retryDelayMs: 10, ...over });

  describe('without an LLM: curated tips', () => {
    it('answers from the matching tip with the kit for the model', async () => {
      const r = await howTo('/howto@master_assistant_bot как поменять дисплей на айфон 11');
      assert.equal(r.source, 'curated');
      assert.equal(r.question, 'как поменять дисплей на айфон 11');
      assert.equal(r.topic, 'display_iphone');
      assert.equal(r.title, 'Замена дисплея iPhone');
      assert.equal(r.model, 'айфон 11');
      assert.equal(r.brand, 'apple');
      assert.ok(r.steps.length >= 3 && r.steps.length <= 6);
      assert.ok(r.safety.length >= 1);
      assert.equal(r.kit.bundle, 'комплект для замены дисплея айфон 11');
      assert.deepEqual(r.kit.queries, ['дисплей айфон 11', 'проклейка дисплея айфон 11', 'набор отверток', 'присоска', 'медиатор']);
      assert.equal(r.kit.needsModel, false);
      assert.equal(r.kit.callbackData, 'hk:display_iphone:айфон 11');
      assert.equal(r.llm, undefined);
    });

    it('falls back to the general tip, still with a kit, for questions it cannot place', async () => {
      const r = await howTo('что-то странное с телефоном');
      assert.equal(r.topic, 'general');
      assert.equal(r.matched, false);
      assert.ok(r.kit.queries.length > 0);
      const empty = await howTo('/howto');
      assert.equal(empty.question, '');
      assert.equal(empty.topic, 'general');
    });
  });

  describe('with an LLM (OpenAI-compatible, prompt-only)', () => {
    it('takes the steps from the model, keeps topic and kit curated, and journals the call', async () => {
      const r = await howTo('замена акб редми 9а', { llm: client(), correlationId: 'corr-h1' });
      assert.equal(r.source, 'llm');
      assert.equal(r.topic, 'battery');
      assert.equal(r.title, 'Замена аккумулятора: кратко');
      assert.deepEqual(r.steps.slice(0, 2), ['Разрядите батарею ниже 25 % и выключите телефон.', 'Снимите дисплей или крышку, первым делом отключите шлейф АКБ.']);
      assert.equal(r.safety[0], 'Не поддевайте батарею отвёрткой и не гните её.');
      assert.ok(r.safety.length <= 3);
      assert.equal(r.kit.bundle, 'комплект для замены аккумулятора редми 9а');
      assert.equal(r.llm?.outcome, 'ok');
      // Prompt-only: the system rules and the question, nothing else.
      const [call] = llm.calls;
      assert.deepEqual(call.messages, [
        { role: 'system', content: HOWTO_SYSTEM_PROMPT },
        { role: 'user', content: 'замена акб редми 9а' },
      ]);
      assert.match(HOWTO_SYSTEM_PROMPT, /по-русски/);
      assert.match(HOWTO_SYSTEM_PROMPT, /Не давай ссылок/);
      const req = llm.requests.at(-1)!;
      assert.equal(req.headers.authorization, `Bearer ${DEFAULT_LLM_API_KEY}`);
      assert.equal(journal.length, 1);
      assert.equal(journal[0].system, 'llm');
      assert.equal(journal[0].operation, 'chat.completions');
      assert.equal(journal[0].status, 'ok');
      assert.equal(journal[0].correlationId, 'corr-h1');
      assert.ok(!toJournalRow(journal[0]).body!.includes(DEFAULT_LLM_API_KEY));
    });

    it('strips links and markup from the model\'s answer', async () => {
      llm.script('экран', '## Замена экрана\n1. **Прогрейте** край до 70 °C, видео: https://youtu.be/xyz\n2. Поддевайте [медиатором](http://shop.example/pick)\n3) Проверьте <b>сенсор</b>\n⚠️ Внимание: берегите шлейфы www.example.com');
      const r = await howTo('экран самсунг а51', { llm: client() });
      assert.equal(r.source, 'llm');
      assert.equal(r.title, 'Замена экрана');
      assert.deepEqual(r.steps, ['Прогрейте край до 70 °C, видео:', 'Поддевайте медиатором', 'Проверьте сенсор']);
      assert.equal(r.safety[0], 'Берегите шлейфы');
      assert.ok(!JSON.stringify(r).match(/https?:|www\./));
    });

    it('falls back to the curated tip on an outage, a wrong key, an unknown model, a timeout', async () => {
      llm.setFaults({ outage: true });
      const down = await howTo('замена акб редми 9а', { llm: client() });
      assert.equal(down.source, 'curated');
      assert.equal(down.topic, 'battery');
      assert.deepEqual(down.steps, defaultTips().byId.get('battery')!.steps);
      assert.equal(down.llm?.outcome, 'unavailable');
      assert.equal(down.kit.bundle, 'комплект для замены аккумулятора редми 9а', 'the kit survives the outage');
      llm.setFaults({});

      assert.equal((await howTo('акб', { llm: client({ apiKey: 'sk-wrong-0000000000' }) })).llm?.outcome, 'auth');
      assert.equal((await howTo('акб', { llm: client({ model: 'gpt-9' }) })).llm?.outcome, 'rejected');
      llm.setFaults({ latencyMs: 300 });
      const slow = await howTo('акб', { llm: client({ timeoutMs: 50 }) });
      assert.equal(slow.source, 'curated');
      assert.equal(slow.llm?.outcome, 'unavailable');
    });

    it('falls back when the answer does not parse or the model calls the question off-topic', async () => {
      llm.setReplyFunction(() => 'Просто замените батарею, это несложно.');
      const prose = await howTo('акб айфон 11', { llm: client() });
      assert.equal(prose.source, 'curated');
      assert.equal(prose.llm?.outcome, 'unparsable');
      llm.setReplyFunction(() => 'НЕ ПО ТЕМЕ');
      const off = await howTo('как приготовить борщ', { llm: client() });
      assert.equal(off.source, 'curated');
      assert.equal(off.llm?.outcome, 'off_topic');
      assert.ok(off.kit.queries.length > 0);
    });

    it('does not call the model for an empty question', async () => {
      const r = await howTo('/howto   ', { llm: client() });
      assert.equal(r.llm?.outcome, 'empty');
      assert.equal(llm.calls.length, 0);
    });
  });

  describe('LLM client', () => {
    it('resolves endpoints and reads its settings from the environment', () => {
      assert.equal(chatCompletionsEndpoint('https://api.openai.com/v1'), 'https://api.openai.com/v1/chat/completions');
      assert.equal(chatCompletionsEndpoint('https://llm.api.cloud.yandex.net/v1/'), 'https://llm.api.cloud.yandex.net/v1/chat/completions');
      assert.equal(chatCompletionsEndpoint('http://localhost:11434'), 'http://localhost:11434/v1/chat/completions');
      assert.equal(chatCompletionsEndpoint('http://h/v1/chat/completions'), 'http://h/v1/chat/completions');
      assert.equal(llmConfigFromEnv({}), undefined);
      assert.equal(createLlmClient(undefined), undefined);
      assert.deepEqual(llmConfigFromEnv({ LLM_URL: 'http://h/v1', LLM_API_KEY: 'k', LLM_TIMEOUT_MS: '5000' }), {
        url: 'http://h/v1',
        apiKey: 'k',
        model: 'gpt-4o-mini',
        timeoutMs: 5000,
        temperature: undefined,
        maxTokens: undefined,
        retries: undefined,
      });
      assert.throws(() => llmConfigFromEnv({ LLM_URL: 'http://h', LLM_TEMPERATURE: 'hot' }), /LLM_TEMPERATURE/);
    });

    it('throws typed errors and retries 5xx when told to', async () => {
      await assert.rejects(client({ apiKey: 'sk-bad-key-0000000' }).complete([{ role: 'user', content: 'x' }]), LlmAuthError);
      await assert.rejects(client({ model: 'nope' }).complete([{ role: 'user', content: 'x' }]), (e: unknown) => e instanceof LlmRequestError && e.providerCode === 'model_not_found');
      llm.setFaults({ outage: true });
      journal = [];
      await assert.rejects(client({ retries: 1 }).complete([{ role: 'user', content: 'x' }]), LlmUnavailableError);
      assert.deepEqual(journal.map((j) => j.status), ['retry', 'error']);
    });
  });

  describe('rendering for Telegram', () => {
    it('renders plain text with steps, safety, kit and the «Заказать комплект» button', async () => {
      const r = await howTo('не заряжается самсунг а12');
      const { text, replyMarkup } = renderHowTo(r);
      assert.match(text, /^🔧 Не заряжается: разъём зарядки — самсунг а12\n\n1\. /);
      assert.match(text, /⚠️ /);
      assert.match(text, /🧰 Комплект: /);
      assert.deepEqual(replyMarkup, { inline_keyboard: [[{ text: KIT_BUTTON_TEXT, callback_data: 'hk:charging_port:самсунг а12' }]] });
      const noModel = renderHowTo(await howTo('замена акб'));
      assert.match(noModel.text, /укажите модель/);
      assert.equal(noModel.replyMarkup.inline_keyboard[0][0].callback_data, 'hk:battery:');
    });

    it('marks LLM answers as generated', async () => {
      const { text } = renderHowTo(await howTo('замена камеры айфон 11', { llm: client() }));
      assert.match(text, /подготовлен автоматически/);
    });

    it('keeps callback_data within 64 bytes and rebuilds the kit from it', () => {
      const long = kitCallbackData('back_glass_iphone', 'самсунг галакси а51 про макс ультра плюс');
      assert.ok(Buffer.byteLength(long) <= 64, `${Buffer.byteLength(long)} bytes`);
      assert.deepEqual(parseKitCallback('hk:battery:редми 9а'), { tipId: 'battery', model: 'редми 9а' });
      assert.deepEqual(parseKitCallback('hk:battery:'), { tipId: 'battery', model: undefined });
      assert.equal(parseKitCallback('cart:add:1'), undefined);
      const kit = kitFromCallback('hk:battery:редми 9а', defaultTips());
      assert.deepEqual(kit?.queries, ['аккумулятор редми 9а', 'присоска', 'медиатор', 'спирт изопропиловый', 'набор отверток']);
      assert.equal(kitFromCallback('hk:battery:', defaultTips(), 'айфон 11')?.bundle, 'комплект для замены аккумулятора айфон 11', 'the model asked later completes the kit');
      assert.equal(kitFromCallback('hk:unknown_tip:x', defaultTips()), undefined);
    });
  });

  it('parses model answers in common shapes', () => {
    const numbered = parseTipAnswer('Замена АКБ:\n1. Раз\n2) Два\nШаг 3: Три\nОсторожно: аккуратно');
    assert.deepEqual(numbered, { ok: true, tip: { title: 'Замена АКБ', steps: ['Раз', 'Два', 'Три'], safety: ['Аккуратно'] } });
    const bullets = parseTipAnswer('- первый\n- второй\n• третий');
    assert.deepEqual(bullets, { ok: true, tip: { title: undefined, steps: ['Первый', 'Второй', 'Третий'], safety: [] } });
    assert.deepEqual(parseTipAnswer('одна строка'), { ok: false, reason: 'unparsable' });
    assert.equal(cleanQuestion('/HOWTO   дисплей\n айфон'), 'дисплей айфон');
  });
});
