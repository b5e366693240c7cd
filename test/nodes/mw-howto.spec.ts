import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwHowto from '../../nodes/mw-howto/mw-howto';
import registerMwStt from '../../nodes/mw-stt/mw-stt';
import { llmSettingsFor, type MwHowtoDef } from '../../nodes/mw-howto/config';
import { createLlmSandbox, DEFAULT_LLM_API_KEY, type LlmSandbox } from '../../sandbox/llm';
import { createSttSandbox, DEFAULT_STT_API_KEY, encodeScriptedVoice, type SttSandbox } from '../../sandbox/stt';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';

type Msg = Record<string, any>;
interface Outputs {
  answer: Msg[];
  ask: Msg[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mw-howto node', () => {
  let llm: LlmSandbox;
  let url: string;
  before(async () => {
    llm = createLlmSandbox();
    url = await llm.start();
  });
  after(() => llm.stop());
  beforeEach(() => llm.reset());
  afterEach(() => helper.unload());

  async function load(
    node: Record<string, unknown>,
    credentials: Record<string, unknown> = { apiKey: DEFAULT_LLM_API_KEY },
    extra: object[] = [],
    nodes = [registerMwConfig, registerMwHowto],
    otherCredentials: Record<string, unknown> = {},
  ): Promise<Outputs> {
    const flow = [
      { id: 'howto', type: 'mw-howto', name: '', mwConfig: '', llm: 'off', url: '', model: '', timeout: 0, version: 1, wires: [['answer'], ['ask']], ...node },
      { id: 'answer', type: 'helper' },
      { id: 'ask', type: 'helper' },
      ...extra,
    ];
    await helper.load(nodes, flow, { howto: credentials, ...otherCredentials });
    const out: Outputs = { answer: [], ask: [] };
    helper.getNode('answer').on('input', (m: Msg) => out.answer.push(m));
    helper.getNode('ask').on('input', (m: Msg) => out.ask.push(m));
    return out;
  }

  async function until(out: Outputs, count: number): Promise<void> {
    const t = Date.now();
    while (out.answer.length + out.ask.length < count) {
      if (Date.now() - t > 5000) throw new Error(`only ${out.answer.length + out.ask.length} of ${count} messages came out`);
      await sleep(10);
    }
  }

  const telegramText = (text: string) => ({ payload: { chatId: 100001, messageId: 5, type: 'message', content: text } });

  it('answers /howto from curated tips with the «Заказать комплект» button, ready for the telegram sender', async () => {
    const out = await load({ llm: 'off' });
    helper.getNode('howto').receive(telegramText('/howto замена дисплея айфон 11'));
    await until(out, 1);
    const [m] = out.answer;
    assert.equal(m.payload.chatId, 100001);
    assert.equal(m.payload.type, 'message');
    assert.match(m.payload.content, /^🔧 Замена дисплея iPhone — айфон 11\n\n1\. /);
    assert.deepEqual(m.payload.options.reply_markup, { inline_keyboard: [[{ text: 'Заказать комплект', callback_data: 'hk:display_iphone:айфон 11' }]] });
    assert.equal(m.howto.source, 'curated');
    assert.equal(m.howto.kit.bundle, 'комплект для замены дисплея айфон 11');
    assert.equal(m.howtoAction, 'tip');
    assert.equal(llm.calls.length, 0);
  });

  it('uses the LLM when configured, and the curated tip when it is down', async () => {
    const out = await load({ llm: 'on', url: `${url}/v1`, model: 'gpt-4o-mini', timeout: 2 });
    helper.getNode('howto').receive(telegramText('/howto как поменять акб на редми 9а'));
    await until(out, 1);
    assert.equal(out.answer[0].howto.source, 'llm');
    assert.match(out.answer[0].payload.content, /Замена аккумулятора: кратко/);
    assert.match(out.answer[0].payload.content, /подготовлен автоматически/);
    assert.equal(out.answer[0].payload.options.reply_markup.inline_keyboard[0][0].callback_data, 'hk:battery:редми 9а');
    assert.equal(llm.requests.at(-1)?.headers.authorization, `Bearer ${DEFAULT_LLM_API_KEY}`);

    llm.setFaults({ outage: true });
    helper.getNode('howto').receive(telegramText('/howto как поменять акб на редми 9а'));
    await until(out, 2);
    const fallback = out.answer[1];
    assert.equal(fallback.howto.source, 'curated');
    assert.equal(fallback.howto.llm.outcome, 'unavailable');
    assert.match(fallback.payload.content, /^🔧 Замена аккумулятора — редми 9а/);
    assert.equal(fallback.payload.options.reply_markup.inline_keyboard[0][0].text, 'Заказать комплект');
  });

  it('asks for the question when /howto comes alone', async () => {
    const out = await load({});
    helper.getNode('howto').receive(telegramText('/howto'));
    await until(out, 1);
    assert.equal(out.ask[0].payload.chatId, 100001);
    assert.match(out.ask[0].payload.content, /Напишите, что нужно отремонтировать/);
    assert.equal(out.ask[0].howtoAction, 'ask');
  });

  it('resolves a pressed kit button to search queries, or asks for the model', async () => {
    const out = await load({});
    helper.getNode('howto').receive({ payload: { chatId: 1, messageId: 2, type: 'callback_query', content: 'hk:battery:редми 9а', callbackQueryId: 'q1' } });
    helper.getNode('howto').receive({ payload: { chatId: 1, type: 'callback_query', content: 'hk:battery:' } });
    await until(out, 2);
    const [ready] = out.answer;
    assert.equal(ready.howtoAction, 'kit');
    assert.equal(ready.kit.bundle, 'комплект для замены аккумулятора редми 9а');
    assert.deepEqual(ready.kit.queries, ['аккумулятор редми 9а', 'присоска', 'медиатор', 'спирт изопропиловый', 'набор отверток']);
    assert.equal(ready.payload.callbackQueryId, 'q1', 'the callback payload is left for answering the query');
    const [ask] = out.ask;
    assert.equal(ask.kit.needsModel, true);
    assert.match(ask.payload.content, /Для какой модели/);
  });

  it('answers a voice question: mw-stt → mw-howto', async () => {
    const stt: SttSandbox = createSttSandbox();
    const sttUrl = await stt.start();
    try {
      const sttNode = { id: 'stt', type: 'mw-stt', mwConfig: '', provider: 'yandex', url: sttUrl, language: 'ru-RU', model: '', folderId: '', timeout: 5, maxAudioMb: 20, version: 1, wires: [['howto'], ['ask']] };
      const out = await load({ llm: 'off' }, {}, [sttNode], [registerMwConfig, registerMwStt, registerMwHowto], { stt: { apiKey: DEFAULT_STT_API_KEY } });
      helper.getNode('stt').receive({ payload: { chatId: 7, messageId: 8, type: 'voice', content: 'file-id', audio: encodeScriptedVoice('не заряжается самсунг а12') } });
      await until(out, 1);
      const [m] = out.answer;
      assert.equal(m.howto.topic, 'charging_port');
      assert.equal(m.howto.model, 'самсунг а12');
      assert.equal(m.payload.chatId, 7);
    } finally {
      await stt.stop();
    }
  });

  it('reads LLM settings from the node, then LLM_* variables', () => {
    const def = { llm: 'env', url: '', model: '', timeout: 0 } as unknown as MwHowtoDef;
    assert.equal(llmSettingsFor(def, {}, {}), undefined, 'no LLM_URL: curated only');
    assert.deepEqual(llmSettingsFor(def, {}, { LLM_URL: 'http://llm/v1', LLM_API_KEY: 'k', LLM_MODEL: 'yandexgpt-lite' }), {
      url: 'http://llm/v1',
      apiKey: 'k',
      model: 'yandexgpt-lite',
      timeoutMs: undefined,
      temperature: undefined,
      maxTokens: undefined,
      retries: undefined,
    });
    assert.equal(llmSettingsFor({ ...def, llm: 'off' }, {}, { LLM_URL: 'http://llm/v1' }), undefined);
    assert.throws(() => llmSettingsFor({ ...def, llm: 'on' }, {}, {}), /no URL/);
    assert.equal(llmSettingsFor({ ...def, llm: 'on', url: 'http://own', timeout: 4 }, { apiKey: 'n' }, {})?.timeoutMs, 4000);
  });

  describe('journaling', () => {
    let db: Knex;
    let drop: () => Promise<void>;
    before(async () => {
      ({ db, drop } = await createTestDatabase('mw_test_howto'));
    });
    after(() => drop());

    it('journals LLM calls as system "llm"', async () => {
      useServices(testServices(db));
      const out = await load({ llm: 'on', url, mwConfig: 'cfg' }, undefined, [{ id: 'cfg', type: 'mw-config', name: 'mw', version: 1 }]);
      helper.getNode('howto').receive({ payload: 'замена камеры айфон 11', correlationId: 'corr-howto' });
      await until(out, 1);
      await helper.unload();
      const rows = await db('integration_journal').where({ system: 'llm' });
      assert.equal(rows.length, 1);
      assert.equal(rows[0].operation, 'chat.completions');
      assert.equal(rows[0].status, 'ok');
      assert.equal(rows[0].correlation_id, 'corr-howto');
      assert.equal(rows[0].body.question, 'замена камеры айфон 11');
      assert.match(rows[0].body.answer, /Замена камеры/);
    });
  });
});
