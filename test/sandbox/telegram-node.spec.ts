import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { createTelegramSandbox, type TelegramSandbox } from '../../sandbox/telegram';
import { helper } from '../support/node-helper';

/**
 * node-red-contrib-telegrambot 17.0.6 itself (config, receiver, sender, event nodes) against the
 * sandbox, with `baseapiurl` pointed at it: what flows built on these nodes will see, including
 * the node's quirks the flow builders must design around.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const telegramNodes = require('node-red-contrib-telegrambot/telegrambot/99-telegrambot.js') as (red: unknown) => void;

interface HelperNode {
  on(event: 'input', listener: (msg: NodeMessage & Record<string, unknown>) => void): void;
  receive(msg: Record<string, unknown>): void;
}

type Payload = Record<string, unknown> & { chatId?: number; type?: string; content?: unknown; weblink?: string };

function nextMessage(nodeId: string, timeoutMs = 5000): Promise<NodeMessage & { payload: Payload; error?: string }> {
  const node = helper.getNode(nodeId) as unknown as HelperNode;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${nodeId} within ${timeoutMs} ms`)), timeoutMs);
    node.on('input', (msg) => {
      clearTimeout(timer);
      resolve(msg as NodeMessage & { payload: Payload; error?: string });
    });
  });
}

function collect(nodeId: string): Array<NodeMessage & { payload: Payload; error?: string }> {
  const seen: Array<NodeMessage & { payload: Payload; error?: string }> = [];
  (helper.getNode(nodeId) as unknown as HelperNode).on('input', (msg) => seen.push(msg as NodeMessage & { payload: Payload; error?: string }));
  return seen;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('telegram sandbox with node-red-contrib-telegrambot 17.0.6', function () {
  this.timeout(30_000);
  let sb: TelegramSandbox;

  beforeEach(async () => {
    sb = createTelegramSandbox({ maxPerChatPerSecond: 0 });
    await sb.start();
  });

  /** The flow under test; `access` sets the config node's usernames / chatids whitelists. */
  async function loadFlow(access: { usernames?: string; chatids?: string } = {}): Promise<void> {
    const flow = [
      {
        id: 'bot',
        type: 'telegram bot',
        botname: 'master_assistant_sandbox_bot',
        usernames: access.usernames ?? '',
        chatids: access.chatids ?? '',
        baseapiurl: sb.url,
        testenvironment: false,
        updatemode: 'polling',
        pollinterval: '100',
        usesocks: false,
        verboselogging: false,
      },
      { id: 'in', type: 'telegram receiver', bot: 'bot', saveDataDir: '', filterCommands: false, wires: [['received'], ['unauthorised']] },
      { id: 'received', type: 'helper' },
      { id: 'unauthorised', type: 'helper' },
      { id: 'out', type: 'telegram sender', bot: 'bot', haserroroutput: true, wires: [['sent'], ['failed']] },
      { id: 'sent', type: 'helper' },
      { id: 'failed', type: 'helper' },
      { id: 'events', type: 'telegram event', bot: 'bot', event: 'callback_query', autoanswer: true, wires: [['pressed']] },
      { id: 'pressed', type: 'helper' },
    ];
    await helper.load(telegramNodes as never, flow, { bot: { token: sb.token } });
  }

  afterEach(async () => {
    // The config node long-polls with a 10 s timeout and waits for that request when closing:
    // stopping the sandbox first ends the poll at once.
    await sb.stop();
    await helper.unload();
  });

  it('delivers an injected message to the receiver and a sender message to the chat', async () => {
    await loadFlow();
    const received = nextMessage('received');
    sb.sendText(900, 'дисплей айфон 11', { firstName: 'Иван', username: 'ivan_fix' });
    const msg = await received;
    assert.equal(msg.payload.chatId, 900);
    assert.equal(msg.payload.type, 'message');
    assert.equal(msg.payload.content, 'дисплей айфон 11');

    const sent = nextMessage('sent');
    (helper.getNode('out') as unknown as HelperNode).receive({
      payload: {
        chatId: 900,
        type: 'message',
        content: '<b>Дисплей iPhone 11</b> — 4 500 ₽',
        options: { parse_mode: 'HTML', reply_markup: { inline_keyboard: [[{ text: 'В корзину', callback_data: 'add:1001' }]] } },
      },
    });
    const result = await sent;
    assert.equal(typeof result.payload.sentMessageId, 'number');
    const reply = await sb.waitForBotMessage(900);
    assert.equal(reply.text, 'Дисплей iPhone 11 — 4 500 ₽');
    assert.equal(reply.reply_markup?.inline_keyboard[0][0].callback_data, 'add:1001');

    // A press reaches the event node, which answers the callback query itself (autoanswer).
    const pressed = nextMessage('pressed');
    const query = sb.pressButton(900, { data: 'add:1001' });
    const event = await pressed;
    assert.equal(event.payload.content, 'add:1001');
    assert.equal(event.payload.callbackQueryId, query.id);
    for (let i = 0; i < 50 && !sb.callbackAnswer(query.id); i++) await sleep(50);
    assert.ok(sb.callbackAnswer(query.id), 'answered by the node');
  });

  it('quirk: with a chat-id whitelist, a user without @username is let through as "anonymous"', async () => {
    // getUserInfo() takes the username from msg.chat (a private chat's username) and marks the
    // message anonymous when there is none; anonymous messages skip the authorisation check.
    await loadFlow({ chatids: '12345' });
    const refused = nextMessage('unauthorised');
    sb.sendText(901, 'привет', { username: 'ivan_fix' });
    assert.equal((await refused).payload.content, 'привет', 'with a username: refused, as configured');
    const received = nextMessage('received');
    sb.sendText(905, 'привет', { firstName: 'Без username' });
    assert.equal((await received).payload.chatId, 905, 'without one: let through although 905 is not whitelisted');
  });

  it('quirk: its Markdown plain-text fallback never fires on today’s wording; the send fails instead', async () => {
    await loadFlow();
    sb.sendText(902, '/start');
    const failed = nextMessage('failed');
    (helper.getNode('out') as unknown as HelperNode).receive({
      payload: { chatId: 902, type: 'message', content: 'Артикул foo_bar', options: { parse_mode: 'Markdown' } },
    });
    const error = await failed;
    assert.match(String(error.error), /ETELEGRAM: 400 Bad Request: can't parse entities: Can't find end of the entity starting at byte offset/);
    await sleep(300);
    assert.equal(sb.botMessages(902).length, 0, 'nothing was sent, not even as plain text');
  });

  it('quirk: a voice note comes with a weblink that contains the bot token; if getFile fails the message is lost', async () => {
    await loadFlow();
    const received = nextMessage('received');
    const voice = sb.sendVoice(903, 'аккумулятор редми девять а');
    const msg = await received;
    assert.equal(msg.payload.type, 'voice');
    assert.equal(msg.payload.content, voice.voice?.file_id);
    assert.match(String(msg.payload.weblink), new RegExp(`^${sb.url}/file/bot${sb.token}/voice/file_\\d+\\.oga$`));

    // getFile fails once: the receiver's getFileLink() has no catch, so nothing reaches the flow
    // (only an "Unhandled rejection" from Bluebird), and the update is already confirmed.
    const unhandled: unknown[] = [];
    const saved = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', (reason) => unhandled.push(reason));
    try {
      sb.failNext('getFile', { status: 500 });
      const seen = collect('received');
      sb.sendVoice(903, 'дисплей самсунг а пятьдесят один');
      for (let i = 0; i < 40 && unhandled.length === 0; i++) await sleep(50);
      await sleep(300);
      assert.equal(seen.length, 0, 'the voice message never reaches the flow');
      assert.match(String((unhandled[0] as Error)?.message), /ETELEGRAM: 500 Internal Server Error/);
      assert.equal(sb.pendingUpdates().length, 0, 'and Telegram will not send it again');
    } finally {
      process.removeAllListeners('unhandledRejection');
      for (const listener of saved) process.on('unhandledRejection', listener);
    }
  });

  it('quirk: texts over 4000 characters are split into chunks sent in parallel, one output per chunk', async () => {
    await loadFlow();
    sb.sendText(904, '/help');
    const outputs = collect('sent');
    const text = Array.from({ length: 900 }, (_, i) => `строка ${i}`).join('\n');
    (helper.getNode('out') as unknown as HelperNode).receive({ payload: { chatId: 904, type: 'message', content: text } });
    await sb.waitForBotMessages(904, { count: 3, timeoutMs: 5000 });
    for (let i = 0; i < 40 && outputs.length < 3; i++) await sleep(50);
    assert.equal(outputs.length, 3, 'the sender emits once per chunk');
    const chunks = sb.botMessages(904).map((m) => m.text ?? '');
    // Cut every 4000 UTF-16 units, mid-line; sent concurrently, so their order is not guaranteed.
    for (const chunk of chunks) assert.ok(text.includes(chunk) && chunk.length <= 4000);
    assert.ok(chunks.reduce((n, c) => n + c.length, 0) >= text.length - 4);
  });
});
