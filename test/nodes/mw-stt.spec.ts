import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwStt from '../../nodes/mw-stt/mw-stt';
import { sttSettingsFor, type MwSttDef } from '../../nodes/mw-stt/config';
import { createSttSandbox, DEFAULT_STT_API_KEY, encodeScriptedVoice, type SttSandbox } from '../../sandbox/stt';
import { createTelegramSandbox } from '../../sandbox/telegram';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';

type Msg = Record<string, any>;

interface Outputs {
  ok: Msg[];
  failed: Msg[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mw-stt node', () => {
  let stt: SttSandbox;
  let url: string;
  before(async () => {
    stt = createSttSandbox();
    url = await stt.start();
  });
  after(() => stt.stop());
  beforeEach(() => stt.reset());
  afterEach(() => helper.unload());

  async function load(node: Record<string, unknown>, credentials: Record<string, unknown> = { apiKey: DEFAULT_STT_API_KEY }, extra: object[] = []): Promise<Outputs> {
    const flow = [
      { id: 'stt', type: 'mw-stt', name: '', mwConfig: '', provider: 'yandex', url, language: 'ru-RU', model: '', folderId: '', timeout: 5, maxAudioMb: 20, version: 1, wires: [['ok'], ['failed']], ...node },
      { id: 'ok', type: 'helper' },
      { id: 'failed', type: 'helper' },
      ...extra,
    ];
    await helper.load([registerMwConfig, registerMwStt], flow, { stt: credentials });
    const out: Outputs = { ok: [], failed: [] };
    helper.getNode('ok').on('input', (m: Msg) => out.ok.push(m));
    helper.getNode('failed').on('input', (m: Msg) => out.failed.push(m));
    return out;
  }

  async function until(out: Outputs, count: number, timeoutMs = 5000): Promise<void> {
    const t = Date.now();
    while (out.ok.length + out.failed.length < count) {
      if (Date.now() - t > timeoutMs) throw new Error(`only ${out.ok.length + out.failed.length} of ${count} messages came out`);
      await sleep(10);
    }
  }

  it('recognises a Buffer with Yandex SpeechKit: transcript on output 1', async () => {
    const out = await load({});
    helper.getNode('stt').receive({ payload: encodeScriptedVoice('дисплей айфон 11', { durationSeconds: 3 }), correlationId: 'c-1' });
    await until(out, 1);
    assert.equal(out.failed.length, 0);
    const [m] = out.ok;
    assert.equal(m.transcript, 'дисплей айфон 11');
    assert.equal(m.payload.transcript, 'дисплей айфон 11');
    assert.equal(m.payload.content, 'дисплей айфон 11');
    assert.equal(m.stt.provider, 'yandex');
    assert.equal(m.stt.language, 'ru-RU');
    assert.equal(stt.requests.at(-1)?.headers.authorization, `Api-Key ${DEFAULT_STT_API_KEY}`);
  });

  it('downloads a Telegram voice note (weblink) and recognises it via OpenAI with the .oga renamed', async () => {
    const tg = createTelegramSandbox({ maxPerChatPerSecond: 0 });
    await tg.start();
    try {
      const message = tg.sendVoice(100001, 'аккумулятор редми 9а', { firstName: 'Иван' }) as unknown as { message_id: number; voice: { file_id: string; duration: number } };
      const file = (await (await fetch(`${tg.url}/bot${tg.token}/getFile?file_id=${message.voice.file_id}`)).json()) as { result: { file_path: string } };
      assert.match(file.result.file_path, /\.oga$/);
      const weblink = `${tg.url}/file/bot${tg.token}/${file.result.file_path}`;
      const out = await load({ provider: 'openai', url: `${url}/v1`, model: 'whisper-1' });
      // What the telegram receiver emits for a voice message.
      helper.getNode('stt').receive({
        payload: { chatId: 100001, messageId: message.message_id, type: 'voice', content: message.voice.file_id, date: 1, blob: true, weblink },
        originalMessage: { voice: message.voice },
      });
      await until(out, 1);
      assert.equal(out.failed.length, 0, JSON.stringify(out.failed[0]?.stt));
      const [m] = out.ok;
      assert.deepEqual(m.payload, { chatId: 100001, messageId: message.message_id, type: 'message', date: 1, fileId: message.voice.file_id, content: 'аккумулятор редми 9а', transcript: 'аккумулятор редми 9а', source: 'voice' });
      assert.equal(m.stt.provider, 'openai');
      assert.match(stt.recognitions.at(-1)!.fileName!, /^file_\d+\.ogg$/, 'uploaded as .ogg');
    } finally {
      await tg.stop();
    }
  });

  it('sends every failure to output 2 with a polite Russian answer for the same chat', async () => {
    const out = await load({});
    const tgPayload = (extra: object) => ({ chatId: 42, messageId: 7, type: 'voice', content: 'file-id', ...extra });
    helper.getNode('stt').receive({ payload: encodeScriptedVoice('', { durationSeconds: 2 }) });
    helper.getNode('stt').receive({ payload: encodeScriptedVoice('очень длинно', { durationSeconds: 45 }) });
    helper.getNode('stt').receive({ payload: 'просто текст' });
    helper.getNode('stt').receive({ payload: tgPayload({ weblink: `${url}/missing/file_1.oga` }) });
    await until(out, 4);
    assert.equal(out.ok.length, 0);
    const byReason = Object.fromEntries(out.failed.map((m) => [m.payload.reason, m]));
    assert.equal(byReason.empty.payload.text, 'Не расслышал, попробуйте ещё раз или напишите текстом.');
    assert.equal(byReason.empty.payload.content, byReason.empty.payload.text);
    assert.equal(byReason.empty.payload.type, 'message');
    assert.match(byReason.too_long.payload.text, /30 секунд/);
    assert.equal(byReason.too_long.stt.code, 'STT_AUDIO_TOO_LONG');
    assert.equal(byReason.no_audio.stt.code, 'STT_NO_AUDIO');
    const dl = byReason.download_failed;
    assert.equal(dl.payload.chatId, 42);
    assert.deepEqual(dl.payload.options, { reply_to_message_id: 7 });
    assert.match(dl.payload.text, /Не расслышал/);
  });

  it('answers an outage with the "unavailable" text after a retry', async () => {
    const out = await load({});
    stt.setFaults({ outage: true });
    helper.getNode('stt').receive({ payload: encodeScriptedVoice('x') });
    await until(out, 1);
    assert.equal(out.failed[0].payload.reason, 'unavailable');
    assert.match(out.failed[0].payload.text, /недоступно/);
    assert.equal(out.failed[0].stt.retryable, true);
    assert.equal(stt.requests.length, 2);
  });

  it('answers politely with a wrong key or without any configuration, and warns ops', async () => {
    const out = await load({}, { apiKey: 'wrong' });
    helper.getNode('stt').receive({ payload: encodeScriptedVoice('x') });
    await until(out, 1);
    assert.equal(out.failed[0].payload.reason, 'auth');
    assert.match(out.failed[0].payload.text, /Не расслышал/);
    await helper.unload();

    const saved = process.env.STT_PROVIDER;
    delete process.env.STT_PROVIDER;
    try {
      const bare = await load({ provider: 'env', url: '' }, {});
      helper.getNode('stt').receive({ payload: encodeScriptedVoice('x') });
      await until(bare, 1);
      assert.equal(bare.failed[0].payload.reason, 'not_configured');
      assert.match(bare.failed[0].payload.text, /текстом/);
    } finally {
      if (saved !== undefined) process.env.STT_PROVIDER = saved;
    }
  });

  it('takes empty fields from STT_* environment variables', () => {
    const def = { provider: 'env', url: '', language: '', model: '', folderId: '', timeout: 0, maxAudioMb: 20 } as unknown as MwSttDef;
    const env = { STT_PROVIDER: 'openai', STT_URL: 'http://stt/v1', STT_API_KEY: 'env-key', STT_MODEL: 'gpt-4o-mini-transcribe', STT_TIMEOUT_MS: '7000' };
    const s = sttSettingsFor(def, {}, env);
    assert.equal(s.provider, 'openai');
    assert.equal(s.url, 'http://stt/v1');
    assert.equal(s.apiKey, 'env-key');
    assert.equal(s.model, 'gpt-4o-mini-transcribe');
    assert.equal(s.language, 'ru-RU');
    assert.equal(s.timeoutMs, 7000);
    const own = sttSettingsFor({ ...def, provider: 'yandex', url: 'http://own', timeout: 3 }, { apiKey: 'node-key' }, env);
    assert.deepEqual([own.provider, own.url, own.apiKey, own.timeoutMs], ['yandex', 'http://own', 'node-key', 3000]);
  });

  describe('journaling', () => {
    let db: Knex;
    let drop: () => Promise<void>;
    before(async () => {
      ({ db, drop } = await createTestDatabase('mw_test_stt'));
    });
    after(() => drop());

    it('journals each call as system "stt" through the mw-config database', async () => {
      useServices(testServices(db));
      const out = await load({ mwConfig: 'cfg' }, undefined, [{ id: 'cfg', type: 'mw-config', name: 'mw', version: 1 }]);
      helper.getNode('stt').receive({ payload: encodeScriptedVoice('тел 8 912 345 67 89 дисплей'), correlationId: 'corr-stt-j' });
      await until(out, 1);
      await helper.unload(); // flushes the journal
      const rows = await db('integration_journal').where({ system: 'stt' });
      assert.equal(rows.length, 1);
      assert.equal(rows[0].operation, 'stt:recognize');
      assert.equal(rows[0].status, 'ok');
      assert.equal(rows[0].correlation_id, 'corr-stt-j');
      const body = JSON.stringify(rows[0].body);
      assert.ok(!body.includes('345 67'), 'the phone in the transcript is masked');
      assert.ok(!body.includes(DEFAULT_STT_API_KEY));
      assert.match(body, /дисплей/);
    });
  });
});
