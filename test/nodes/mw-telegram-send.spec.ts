import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createTelegramSandbox, type TelegramSandbox } from '../../sandbox/telegram';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import { mwTelegramSendMigrations } from '../../nodes/mw-telegram-send/config';
import registerMwTelegramSend from '../../nodes/mw-telegram-send/mw-telegram-send';
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

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('mw-telegram-send node', function () {
  this.timeout(20_000);
  let tg: TelegramSandbox;
  let db: Knex;
  let drop: () => Promise<void>;
  before(async () => ({ db, drop } = await createTestDatabase('mw_test_tgsend')));
  after(() => drop());
  beforeEach(async () => {
    tg = createTelegramSandbox({ maxPerChatPerSecond: 0 });
    await tg.start();
    tg.ensureChat(700001, { firstName: 'Иван' });
  });
  afterEach(async () => {
    await helper.unload();
    await tg.stop();
  });

  it('sends OutgoingMessages with its own credentials, journals them, output 2 for refusals', async () => {
    useServices(testServices(db));
    await helper.load(
      [registerMwConfig, registerMwTelegramSend],
      [
        { id: 'cfg', type: 'mw-config', version: 1 },
        { id: 'send', type: 'mw-telegram-send', mwConfig: 'cfg', apiUrl: tg.url, perChatPerSecond: 0, version: 1, wires: [['sent'], ['failed']] },
        { id: 'sent', type: 'helper' },
        { id: 'failed', type: 'helper' },
      ],
      { send: { token: tg.token } },
    );
    const sent = collect('sent');
    const failed = collect('failed');
    const node = helper.getNode('send') as unknown as { receive(m: Msg): void };
    node.receive({
      payload: [
        { method: 'sendMessage', chatId: 700001, text: '<b>Дисплей</b> &amp; стекло', parseMode: 'HTML' },
        { method: 'sendMessage', chatId: 700001, text: 'второе', parseMode: 'HTML' },
      ],
      correlationId: 'c-77',
    });
    node.receive({ payload: { method: 'sendMessage', chatId: 700001, text: '<b>сломано', parseMode: 'HTML' } });
    await until(() => sent.length === 2 && failed.length === 1);
    assert.deepEqual(tg.botMessages(700001).map((m) => m.text), ['Дисплей & стекло', 'второе']);
    assert.equal(sent[0]!.payload.ok, true);
    assert.equal(sent[0]!.request.text, '<b>Дисплей</b> &amp; стекло');
    assert.equal(failed[0]!.payload.ok, false);
    assert.match(failed[0]!.payload.description, /can't parse entities/);
    await helper.unload(); // flushes the journal
    const rows = await db('integration_journal').where({ system: 'telegram' }).orderBy('id');
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((r) => r.status).sort(), ['error', 'ok', 'ok']);
  });

  it('takes the token and base URL from a telegram bot config node; rejects what is not an OutgoingMessage', async () => {
    useServices(testServices(db));
    await helper.load(
      [telegramNodes as never, registerMwTelegramSend],
      [
        { id: 'bot', type: 'telegram bot', botname: 'master_assistant_sandbox_bot', usernames: '', chatids: '', baseapiurl: tg.url, updatemode: 'none', usesocks: false, verboselogging: false },
        { id: 'send', type: 'mw-telegram-send', bot: 'bot', version: 1, wires: [['sent'], []] },
        { id: 'sent', type: 'helper' },
      ],
      { bot: { token: tg.token } },
    );
    const sent = collect('sent');
    const node = helper.getNode('send') as unknown as { receive(m: Msg): void; on(e: string, l: (...a: unknown[]) => void): void };
    node.receive({ payload: { method: 'sendMessage', chatId: 700001, text: 'через узел бота', parseMode: 'HTML' } });
    await until(() => sent.length === 1);
    assert.equal(tg.botMessages(700001).at(-1)!.text, 'через узел бота');
    const errors: unknown[] = [];
    (helper.getNode('send') as unknown as { error: (e: unknown) => void }).error = (e: unknown) => void errors.push(e);
    node.receive({ payload: { chatId: 700001, type: 'message', content: 'формат telegram sender' } });
    await until(() => errors.length === 1);
    assert.match(String(errors[0]), /badPayload|OutgoingMessage/);
  });

  it('config migrations fill the defaults of an old config', () => {
    const c = migrateConfig('mw-telegram-send', { id: 'x', type: 'mw-telegram-send' }, mwTelegramSendMigrations);
    assert.deepEqual([c.perChatPerSecond, c.perChatBurst, c.globalPerSecond, c.bot, c.apiUrl, c.version], [1, 3, 30, '', '', 1]);
  });
});
