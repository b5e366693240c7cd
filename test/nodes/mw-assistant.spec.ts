import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createShopSandbox, type ShopSandbox } from '../../sandbox/shop';
import { createTelegramSandbox, type TelegramSandbox, type TgMessage } from '../../sandbox/telegram';
import { mwAssistantMigrations } from '../../nodes/mw-assistant/config';
import registerMwAssistant from '../../nodes/mw-assistant/mw-assistant';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwTelegramSend from '../../nodes/mw-telegram-send/mw-telegram-send';
import { createAuthRuntime, type AuthRuntime } from '../../src/auth/runtime';
import { createCatalogRuntime, registerCatalogRuntime, type CatalogRuntime } from '../../src/catalog/runtime';
import { migrateConfig } from '../../src/node-config/migrations';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const telegramNodes = require('node-red-contrib-telegrambot/telegrambot/99-telegrambot.js') as (red: unknown) => void;

type Msg = Record<string, any>;

function collect(id: string): Msg[] {
  const seen: Msg[] = [];
  (helper.getNode(id) as unknown as { on(e: 'input', l: (m: Msg) => void): void }).on('input', (m) => seen.push(m));
  return seen;
}

/**
 * The flow the assistant runs in: telegram receiver + telegram event (callback_query) of
 * node-red-contrib-telegrambot 17.0.6 polling the Telegram sandbox → mw-assistant → mw-telegram-send
 * (token and base URL from the same telegram bot config node), with the real catalog runtime,
 * shop sandbox and token vault behind the middleware's services.
 */
describe('mw-assistant node in a telegrambot flow', function () {
  this.timeout(40_000);
  let tg: TelegramSandbox;
  let shop: ShopSandbox;
  let db: Knex;
  let drop: () => Promise<void>;
  let catalog: CatalogRuntime;
  let unregister: () => void;
  let auth: AuthRuntime;
  let dataDir: string;

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_test_assistant_node'));
    shop = createShopSandbox();
    await shop.start();
    catalog = createCatalogRuntime({ db, journal: false, env: {}, config: { apiUrl: shop.url, syncIntervalMs: 0, searchWorker: false } });
    await catalog.syncer!.syncNow();
    await catalog.start();
    unregister = registerCatalogRuntime(db, catalog);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-assistant-node-'));
    auth = await createAuthRuntime({ db, dataDir, env: { TOKEN_ENCRYPTION_KEY: 'n'.repeat(48) } });
  });
  after(async () => {
    unregister();
    await catalog.stop();
    await shop.stop();
    await drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    tg = createTelegramSandbox({ maxPerChatPerSecond: 0 });
    await tg.start();
  });
  afterEach(async () => {
    await tg.stop(); // ends the node's long poll at once
    await helper.unload();
  });

  async function botMessage(chatId: number, pattern: RegExp, timeoutMs = 10_000): Promise<TgMessage> {
    const t0 = Date.now();
    for (;;) {
      const found = tg.botMessages(chatId).find((m) => pattern.test(m.text ?? ''));
      if (found) return found;
      if (Date.now() - t0 > timeoutMs) throw new Error(`no bot message matching ${pattern} in chat ${chatId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function load(): Promise<void> {
    useServices(testServices(db, { auth }));
    await helper.load(
      [telegramNodes as never, registerMwConfig, registerMwAssistant, registerMwTelegramSend],
      [
        { id: 'cfg', type: 'mw-config', version: 1 },
        { id: 'bot', type: 'telegram bot', botname: 'master_assistant_sandbox_bot', usernames: '', chatids: '', baseapiurl: tg.url, updatemode: 'polling', pollinterval: '100', usesocks: false, verboselogging: false },
        { id: 'in', type: 'telegram receiver', bot: 'bot', saveDataDir: '', filterCommands: false, wires: [['assistant'], []] },
        { id: 'events', type: 'telegram event', bot: 'bot', event: 'callback_query', autoanswer: false, wires: [['assistant']] },
        { id: 'assistant', type: 'mw-assistant', mwConfig: 'cfg', loginUrl: 'https://shop.example.ru/link', rateLimitPerMinute: 100, dialogTtlMinutes: 30, pageSize: 5, deliverQueued: true, version: 1, wires: [['send'], ['managers']] },
        { id: 'send', type: 'mw-telegram-send', bot: 'bot', version: 1, wires: [['sent'], ['failed']] },
        { id: 'managers', type: 'helper' },
        { id: 'sent', type: 'helper' },
        { id: 'failed', type: 'helper' },
      ],
      { bot: { token: tg.token } },
    );
  }

  it('answers a search, a button press (answerCallbackQuery) and hands a «Неси» request to a manager flow', async () => {
    await load();
    const failed = collect('failed');
    const managers = collect('managers');
    tg.sendText(800001, 'дисплей айфон 11', { firstName: 'Иван' });
    const results = await tg.waitForBotMessage(800001, { timeoutMs: 15_000 });
    assert.match(results.text!, /Дисплей в сборе с тачскрином для Apple iPhone 11/);
    assert.match(results.text!, /1\s630 ₽ · в наличии 12 шт/);

    const query = tg.pressButton(800001, { data: 'add:10116' });
    const link = await tg.waitForBotMessage(800001, { after: results.message_id, timeoutMs: 10_000 });
    assert.match(link.text!, /привяжите аккаунт магазина/);
    assert.equal(link.reply_markup?.inline_keyboard[0]![0]!.url, 'https://shop.example.ru/link');
    for (let i = 0; i < 100 && !tg.callbackAnswer(query.id); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(tg.callbackAnswer(query.id)?.text, 'Нужно привязать аккаунт магазина');

    tg.sendText(800001, '/bring дисплей Nokia 3310', { firstName: 'Иван' });
    const sent = await tg.waitForBotMessage(800001, { timeoutMs: 10_000 });
    assert.match(sent.text!, /Передал менеджеру запрос «дисплей Nokia 3310»/);
    assert.equal(managers.length, 1);
    assert.equal(managers[0]!.topic, 'assistant/manager-request');
    assert.deepEqual([managers[0]!.payload.chatId, managers[0]!.payload.text, managers[0]!.payload.linked], [800001, 'дисплей Nokia 3310', false]);
    assert.deepEqual(failed, []);
    const state = await db('assistant_chats').where({ chat_id: 800001 }).first();
    assert.equal(state.state.lastQuery, 'дисплей айфон 11');
  });

  it('a linked master orders through the flow; msg.transcript of a voice note is a search', async () => {
    await load();
    const login = shop.login({ id: 800002, first_name: 'Пётр' });
    await auth.vault.linkUser({ telegramUserId: 800002, shopUserId: login.userId, token: login.token });
    tg.sendText(800002, 'набор отверток', { firstName: 'Пётр' });
    const results = await tg.waitForBotMessage(800002, { timeoutMs: 15_000 });
    tg.pressButton(800002, { data: 'add:11019' });
    await tg.waitForBotMessage(800002, { after: results.message_id, timeoutMs: 10_000 });
    tg.sendText(800002, '/order', { firstName: 'Пётр' });
    const delivery = await tg.waitForBotMessage(800002, { timeoutMs: 10_000 });
    tg.pressButton(800002, { data: 'co:dlv:pickup' });
    const confirm = await botMessage(800002, /Проверьте заказ/);
    tg.pressButton(800002, { data: 'co:ok', messageId: confirm.message_id });
    const done = await botMessage(800002, /оформлен!/);
    const order = shop.orders.find((o) => o.userId === login.userId)!;
    assert.ok(order);
    assert.match(done.text!, new RegExp(`Заказ ${order.number} оформлен!`));
    assert.equal(order.paymentType, 'prepaid');

    // A speech-to-text node in front of mw-assistant sets msg.transcript on the voice message.
    const voiceMsg = tg.sendVoice(800002, 'акб редми 9а');
    (helper.getNode('assistant') as unknown as { receive(m: Msg): void }).receive({
      payload: { chatId: 800002, messageId: voiceMsg.message_id, type: 'voice', content: voiceMsg.voice!.file_id },
      originalMessage: voiceMsg,
      transcript: 'акб редми 9а',
    });
    const heard = await botMessage(800002, /^🎤/);
    assert.match(heard.text!, /^🎤 Распознал: «акб редми 9а»\n[\s\S]*Аккумулятор BN56/);
  });

  it('config migrations fill the defaults of an old config', () => {
    const c = migrateConfig('mw-assistant', { id: 'a', type: 'mw-assistant', mwConfig: 'cfg' }, mwAssistantMigrations);
    assert.deepEqual([c.rateLimitPerMinute, c.dialogTtlMinutes, c.pageSize, c.deliverQueued, c.notifyEverySeconds, c.loginUrl, c.version], [20, 30, 5, true, 15, '', 1]);
    assert.throws(() => migrateConfig('mw-assistant', { version: 9 }, mwAssistantMigrations), /newer than this node package/);
  });
});
