import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandboxes } from '../../sandbox/registry';
import { createTelegramSandbox, readScriptedTranscript, TelegramSandboxClient, type TelegramSandbox } from '../../sandbox/telegram';
import type { TgMessage, TgUpdate, Transcript } from '../../sandbox/telegram/types';

/**
 * The Telegram sandbox over real HTTP, the way node-telegram-bot-api 0.66 (inside
 * node-red-contrib-telegrambot 17.0.6) talks to it: form-encoded POSTs to /bot<token>/<method>,
 * JSON-encoded reply_markup, multipart uploads with the other parameters in the query string.
 */

interface ApiAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: { ok: boolean; result?: T; error_code?: number; description?: string; parameters?: { retry_after?: number } };
}

let sb: TelegramSandbox;

/** A Bot API call, form-encoded like the library (objects JSON-encoded). */
async function api<T = unknown>(method: string, params: Record<string, unknown> = {}, opts: { token?: string; json?: boolean } = {}): Promise<ApiAnswer<T>> {
  const url = `${sb.url}/bot${opts.token ?? sb.token}/${method}`;
  let init: RequestInit;
  if (opts.json) {
    init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) };
  } else {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined) form.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
    init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
  }
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: (await res.json()) as ApiAnswer<T>['body'] };
}

async function ok<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  const answer = await api<T>(method, params);
  assert.equal(answer.status, 200, `${method}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.ok, true);
  return answer.body.result as T;
}

async function control<T = Record<string, unknown>>(path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${sb.url}/__control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('telegram sandbox', function () {
  this.timeout(20_000);

  afterEach(async () => {
    await sb?.stop();
  });

  describe('Bot API basics', () => {
    beforeEach(async () => {
      sb = createTelegramSandbox({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
      await sb.start();
    });

    it('answers getMe for its token, any case of the method name, form or JSON body', async () => {
      const me = await ok<{ id: number; is_bot: boolean; first_name: string; username: string }>('getMe');
      assert.equal(me.id, Number(sb.token.split(':')[0]));
      assert.equal(me.is_bot, true);
      assert.equal(me.first_name, 'Ассистент мастера');
      assert.equal((await api('GETME')).status, 200);
      assert.equal((await api('getme', {}, { json: true })).status, 200);
      const viaGet = await fetch(`${sb.url}/bot${sb.token}/getMe`);
      assert.equal(viaGet.status, 200);
    });

    it('refuses a wrong token with 401 and an unknown method with 404, in Telegram’s envelope', async () => {
      const wrong = await api('getMe', {}, { token: '123:wrong' });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, { ok: false, error_code: 401, description: 'Unauthorized' });
      const unknown = await api('getMeNow');
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body, { ok: false, error_code: 404, description: 'Not Found' });
      const notModelled = await api('sendPoll', { chat_id: 1 });
      assert.equal(notModelled.status, 400);
      assert.match(String(notModelled.body.description), /not modelled/);
    });

    it('answers chat not found for a chat no user has opened, 403 when the user blocked the bot', async () => {
      const missing = await api('sendMessage', { chat_id: 555, text: 'hi' });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.description, 'Bad Request: chat not found');
      sb.sendText(555, '/start');
      await ok('sendMessage', { chat_id: 555, text: 'Здравствуйте!' });
      sb.blockChat(555);
      const blocked = await api('sendMessage', { chat_id: 555, text: 'ещё' });
      assert.equal(blocked.status, 403);
      assert.equal(blocked.body.description, 'Forbidden: bot was blocked by the user');
    });
  });

  describe('getUpdates', () => {
    beforeEach(async () => {
      sb = createTelegramSandbox({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
      await sb.start();
    });

    it('returns unconfirmed updates again until an offset confirms them; negative offset keeps the tail', async () => {
      for (const text of ['первое', 'второе', 'третье']) {
        const res = await control<{ ok: boolean; update: TgUpdate; message: TgMessage }>('/messages', { chatId: 101, firstName: 'Иван', text });
        assert.equal(res.status, 200);
        assert.equal(res.body.update.message?.text, text);
      }
      const all = await ok<TgUpdate[]>('getUpdates', { timeout: 0 });
      assert.deepEqual(all.map((u) => u.message?.text), ['первое', 'второе', 'третье']);
      const [first, second, third] = all.map((u) => u.update_id);
      assert.equal(second, first + 1);
      assert.equal(all[0].message?.from?.first_name, 'Иван');
      assert.equal(all[0].message?.chat.type, 'private');

      assert.equal((await ok<TgUpdate[]>('getUpdates', { timeout: 0 })).length, 3, 'nothing confirmed yet');
      assert.equal((await ok<TgUpdate[]>('getUpdates', { offset: 0, limit: 1 })).length, 1, 'limit');
      const afterFirst = await ok<TgUpdate[]>('getUpdates', { offset: second });
      assert.deepEqual(afterFirst.map((u) => u.update_id), [second, third]);
      assert.deepEqual((await ok<TgUpdate[]>('getUpdates', {})).map((u) => u.update_id), [second, third], 'the first is gone for good');
      const tail = await ok<TgUpdate[]>('getUpdates', { offset: -1 });
      assert.deepEqual(tail.map((u) => u.update_id), [third]);
      assert.deepEqual(await ok<TgUpdate[]>('getUpdates', { offset: third + 1 }), []);
      assert.equal(sb.pendingUpdates().length, 0);
    });

    it('long-polls: a waiting getUpdates wakes up as soon as a message is injected, else answers [] after timeout', async () => {
      const started = performance.now();
      const polling = api<TgUpdate[]>('getUpdates', { offset: 0, timeout: 5 });
      await sleep(150);
      sb.sendText(102, 'дисплей айфон 11');
      const answer = await polling;
      const took = performance.now() - started;
      assert.equal(answer.status, 200);
      assert.equal(answer.body.result?.[0].message?.text, 'дисплей айфон 11');
      assert.ok(took < 1500, `woke after ${Math.round(took)} ms`);

      const empty = performance.now();
      const nothing = await ok<TgUpdate[]>('getUpdates', { offset: (answer.body.result?.[0].update_id ?? 0) + 1, timeout: 1 });
      assert.deepEqual(nothing, []);
      assert.ok(performance.now() - empty >= 900, 'held for the timeout');
    });

    it('lets only one poller wait: a newer getUpdates ends the pending one with 409 Conflict', async () => {
      const first = api<TgUpdate[]>('getUpdates', { timeout: 5 });
      await sleep(100);
      const second = api<TgUpdate[]>('getUpdates', { timeout: 5 });
      const conflict = await first;
      assert.equal(conflict.status, 409);
      assert.deepEqual(conflict.body, {
        ok: false,
        error_code: 409,
        description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      });
      sb.sendText(103, 'привет');
      const winner = await second;
      assert.equal(winner.status, 200);
      assert.equal(winner.body.result?.[0].message?.text, 'привет');
    });

    it('adds Telegram’s bot_command entity to user commands and honours allowed_updates', async () => {
      sb.sendText(104, '/find акб redmi 9a');
      const [update] = await ok<TgUpdate[]>('getUpdates', { allowed_updates: ['message'] });
      assert.deepEqual(update.message?.entities, [{ type: 'bot_command', offset: 0, length: 5 }]);
      await ok('sendMessage', { chat_id: 104, text: 'Выберите', reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] } });
      sb.pressButton(104, { data: 'a' });
      const next = await ok<TgUpdate[]>('getUpdates', { offset: update.update_id + 1 });
      assert.deepEqual(next, [], 'callback_query filtered out by allowed_updates=["message"]');
    });
  });

  describe('sending messages', () => {
    beforeEach(async () => {
      sb = createTelegramSandbox({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
      await sb.start();
      sb.sendText(200, '/start', { firstName: 'Пётр' });
    });

    it('takes a form-encoded sendMessage with a JSON reply_markup and HTML, and shows it in the transcript', async () => {
      const form = new URLSearchParams({
        chat_id: '200',
        text: '<b>Дисплей iPhone 11</b> — 4 500 ₽, в наличии: 3',
        parse_mode: 'HTML',
        reply_markup: JSON.stringify({
          inline_keyboard: [
            [{ text: '🛒 В корзину', callback_data: 'cart:add:1001' }],
            [{ text: 'Открыть на сайте', url: 'https://shop.example.ru/p/1001' }],
          ],
        }),
      });
      const res = await fetch(`${sb.url}/bot${sb.token}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      const body = (await res.json()) as { ok: boolean; result: TgMessage };
      assert.equal(res.status, 200);
      assert.equal(body.result.text, 'Дисплей iPhone 11 — 4 500 ₽, в наличии: 3');
      assert.deepEqual(body.result.entities, [{ type: 'bold', offset: 0, length: 17 }]);
      assert.equal(body.result.reply_markup?.inline_keyboard[0][0].callback_data, 'cart:add:1001');
      assert.equal(body.result.from?.is_bot, true);
      assert.equal(body.result.chat.id, 200);

      const transcript = (await control<Transcript & { ok: boolean }>('/chats/200/messages')).body;
      const [user, bot] = transcript.messages;
      assert.equal(user.direction, 'user');
      assert.equal(bot.direction, 'bot');
      assert.deepEqual(bot.message.reply_markup, body.result.reply_markup);
      assert.equal(bot.source?.parse_mode, 'HTML');
      const recorded = sb.requests.find((r) => r.path.endsWith('/sendMessage'));
      assert.equal(typeof (recorded?.body as Record<string, unknown>).reply_markup, 'string', 'recorded as sent: a JSON string field');
    });

    it('answers bad markup with can’t parse entities, byte offsets in UTF-8', async () => {
      const cases: Array<[string, string, string]> = [
        ['MarkdownV2', 'Цена 1500.00 ₽', "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"],
        ['MarkdownV2', '*жирный без конца', "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0"],
        ['Markdown', 'Привет_мир', "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 12"],
        ['HTML', 'строка<br>строка', 'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 12'],
        ['HTML', '<b>жирный</i>', 'Bad Request: can\'t parse entities: Unmatched end tag at byte offset 15, expected "</b>", found "</i>"'],
        ['HTML', '<b>не закрыт', 'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"'],
      ];
      for (const [mode, text, description] of cases) {
        const res = await api('sendMessage', { chat_id: 200, text, parse_mode: mode });
        assert.equal(res.status, 400, `${mode} ${text}`);
        assert.equal(res.body.description, description);
      }
      const escaped = await ok<TgMessage>('sendMessage', { chat_id: 200, text: '*Итого:* 1500\\.00 ₽ \\(_без НДС_\\)', parse_mode: 'MarkdownV2' });
      assert.equal(escaped.text, 'Итого: 1500.00 ₽ (без НДС)');
      assert.deepEqual(escaped.entities, [
        { type: 'bold', offset: 0, length: 6 },
        { type: 'italic', offset: 18, length: 7 },
      ]);
      const bad = await api('sendMessage', { chat_id: 200, text: 'x', parse_mode: 'Markdown2' });
      assert.equal(bad.body.description, 'Bad Request: unsupported parse_mode');
    });

    it('rejects inline-button URLs on localhost like Telegram, and bad callback_data', async () => {
      for (const url of ['http://localhost:1880/pay/42', 'http://127.0.0.1:1880/pay', 'http://intranet/pay']) {
        const res = await api('sendMessage', { chat_id: 200, text: 'Оплатите', reply_markup: { inline_keyboard: [[{ text: 'Оплатить', url }]] } });
        assert.equal(res.status, 400);
        assert.equal(res.body.description, `Bad Request: inline keyboard button URL '${url}' is invalid: Wrong HTTP URL`);
      }
      await ok('sendMessage', { chat_id: 200, text: 'Оплатите', reply_markup: { inline_keyboard: [[{ text: 'Оплатить', url: 'https://pay.example.ru/42' }]] } });
      const long = await api('sendMessage', { chat_id: 200, text: 'x', reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'x'.repeat(65) }]] } });
      assert.equal(long.body.description, 'Bad Request: BUTTON_DATA_INVALID');
      const textOnly = await api('sendMessage', { chat_id: 200, text: 'x', reply_markup: { inline_keyboard: [[{ text: 'A' }]] } });
      assert.equal(textOnly.body.description, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      const notJson = await api('sendMessage', { chat_id: 200, text: 'x', reply_markup: '{inline_keyboard:' });
      assert.equal(notJson.body.description, "Bad Request: can't parse reply keyboard markup JSON object");
    });

    it('refuses texts over 4096 characters and empty ones', async () => {
      await ok('sendMessage', { chat_id: 200, text: 'я'.repeat(4096) });
      const tooLong = await api('sendMessage', { chat_id: 200, text: 'я'.repeat(4097) });
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.body.description, 'Bad Request: message is too long');
      const blank = await api('sendMessage', { chat_id: 200, text: '  \n ' });
      assert.equal(blank.body.description, 'Bad Request: message text is empty');
      const noChat = await api('sendMessage', { text: 'x' });
      assert.equal(noChat.body.description, 'Bad Request: chat_id is empty');
    });

    it('records chat actions, uploads (multipart, parameters in the query string) and reply keyboards', async () => {
      assert.equal(await ok('sendChatAction', { chat_id: 200, action: 'typing' }), true);
      assert.equal((await api('sendChatAction', { chat_id: 200, action: 'dancing' })).body.description, 'Bad Request: wrong parameter action in request');

      const photo = sb.file(sb.sendPhoto(201).photo?.at(-1)?.file_id ?? '') as Buffer;
      const form = new FormData();
      form.set('photo', new Blob([new Uint8Array(photo)], { type: 'image/png' }), 'part.png');
      const query = new URLSearchParams({ chat_id: '200', caption: '<b>Фото</b> детали', parse_mode: 'HTML' });
      const res = await fetch(`${sb.url}/bot${sb.token}/sendPhoto?${query}`, { method: 'POST', body: form });
      const sent = (await res.json()) as { ok: boolean; result: TgMessage };
      assert.equal(res.status, 200, JSON.stringify(sent));
      assert.equal(sent.result.caption, 'Фото детали');
      assert.ok((sent.result.photo?.length ?? 0) >= 2, 'several sizes, as Telegram stores photos');
      assert.equal(sent.result.photo?.at(-1)?.width, 320);

      const doc = new FormData();
      const csv = Buffer.from('артикул;кол-во\n1001;2\n');
      doc.set('document', new Blob([new Uint8Array(csv)], { type: 'text/csv' }), 'заказ.csv');
      const docRes = await fetch(`${sb.url}/bot${sb.token}/sendDocument?chat_id=200`, { method: 'POST', body: doc });
      const docBody = (await docRes.json()) as { result: TgMessage };
      assert.equal(docBody.result.document?.file_name, 'заказ.csv');
      const recorded = sb.requests.find((r) => r.path.endsWith('/sendDocument'));
      assert.deepEqual((recorded?.body as { files: unknown[] }).files, [{ field: 'document', filename: 'заказ.csv', contentType: 'text/csv', size: csv.length }]);

      await ok('sendMessage', { chat_id: 200, text: 'Поделитесь номером', reply_markup: { keyboard: [[{ text: 'Отправить номер', request_contact: true }]], one_time_keyboard: true } });
      const t = sb.transcript(200);
      assert.equal(t.actions[0].action, 'typing');
      assert.deepEqual(t.messages.at(-1)?.replyKeyboard, { keyboard: [[{ text: 'Отправить номер', request_contact: true }]], one_time_keyboard: true });
      assert.equal(t.messages.at(-1)?.message.reply_markup, undefined, 'reply keyboards are not echoed in the Message');
    });
  });

  describe('flood limits', () => {
    it('answers 429 with retry_after past the per-chat burst, and lets the next through once time passes', async () => {
      let now = Date.parse('2026-03-02T10:00:00Z');
      sb = createTelegramSandbox({ now: () => now, maxPerChatPerSecond: 1, burstPerChat: 3, maxGlobalPerSecond: 30 });
      await sb.start();
      sb.sendText(300, 'привет');
      for (let i = 0; i < 3; i++) await ok('sendMessage', { chat_id: 300, text: `ответ ${i}` });
      const flood = await api('sendMessage', { chat_id: 300, text: 'ещё' });
      assert.equal(flood.status, 429);
      assert.deepEqual(flood.body, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
      assert.equal(flood.headers.get('retry-after'), '1');
      now += 1000;
      await ok('sendMessage', { chat_id: 300, text: 'ещё' });
      assert.equal(sb.botMessages(300).length, 4, 'the refused message was not delivered');
    });

    it('limits the whole bot to ≈30 messages a second over all chats; limits can be tuned over the control API', async () => {
      const now = Date.parse('2026-03-02T10:00:00Z');
      sb = createTelegramSandbox({ now: () => now, maxPerChatPerSecond: 0 });
      await sb.start();
      for (let chat = 1; chat <= 31; chat++) sb.sendText(1000 + chat, 'hi');
      for (let chat = 1; chat <= 30; chat++) await ok('sendMessage', { chat_id: 1000 + chat, text: 'ok' });
      const flood = await api('sendMessage', { chat_id: 1031, text: 'ok' });
      assert.equal(flood.status, 429);
      assert.equal(flood.body.parameters?.retry_after, 1);

      const tuned = await control<{ limits: { maxGlobalPerSecond: number } }>('/limits', { maxGlobalPerSecond: 0 });
      assert.equal(tuned.body.limits.maxGlobalPerSecond, 0);
      await ok('sendMessage', { chat_id: 1031, text: 'ok' });
    });
  });

  describe('buttons, edits and deletions', () => {
    beforeEach(async () => {
      sb = createTelegramSandbox({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
      await sb.start();
    });

    it('runs a callback query from press to answer, and applies edits and deletions to the transcript', async () => {
      sb.sendText(400, 'акб редми 9а');
      const [incoming] = await ok<TgUpdate[]>('getUpdates', {});
      const keyboard = { inline_keyboard: [[{ text: 'В корзину', callback_data: 'add:2001' }, { text: 'Совместимость', callback_data: 'compat:2001' }]] };
      const sent = await ok<TgMessage>('sendMessage', { chat_id: 400, text: 'АКБ BN56 для Redmi 9A — 900 ₽', reply_markup: keyboard });

      const pressed = await control<{ ok: boolean; update: TgUpdate; callbackQuery: { id: string; data: string } }>('/callback', {
        chatId: 400,
        messageId: sent.message_id,
        data: 'add:2001',
      });
      assert.equal(pressed.status, 200);
      const [update] = await ok<TgUpdate[]>('getUpdates', { offset: incoming.update_id + 1 });
      const query = update.callback_query;
      assert.equal(query?.data, 'add:2001');
      assert.equal(query?.message?.message_id, sent.message_id);
      assert.equal(query?.from.id, 400);
      assert.equal(query?.id, pressed.body.callbackQuery.id);

      assert.equal(await ok('answerCallbackQuery', { callback_query_id: query?.id, text: 'Добавлено в корзину' }), true);
      const again = await api('answerCallbackQuery', { callback_query_id: query?.id });
      assert.equal(again.body.description, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
      assert.deepEqual(sb.callbackAnswer(query?.id ?? '')?.text, 'Добавлено в корзину');

      const missing = await control('/callback', { chatId: 400, messageId: sent.message_id, data: 'not-on-the-message' });
      assert.equal(missing.status, 404, 'only buttons that are on the message can be pressed');

      // An edit without reply_markup drops the keyboard, as on Telegram.
      const edited = await ok<TgMessage>('editMessageText', { chat_id: 400, message_id: sent.message_id, text: 'АКБ BN56 — в корзине ✅' });
      assert.equal(edited.reply_markup, undefined);
      assert.ok(edited.edit_date);
      const same = await api('editMessageText', { chat_id: 400, message_id: sent.message_id, text: 'АКБ BN56 — в корзине ✅' });
      assert.match(String(same.body.description), /^Bad Request: message is not modified/);
      await ok('editMessageReplyMarkup', { chat_id: 400, message_id: sent.message_id, reply_markup: { inline_keyboard: [[{ text: 'Оформить', callback_data: 'checkout' }]] } });
      const notMine = await api('editMessageText', { chat_id: 400, message_id: 1, text: 'x' });
      assert.equal(notMine.body.description, "Bad Request: message can't be edited");

      const t = sb.transcript(400);
      const record = t.messages.find((m) => m.message.message_id === sent.message_id);
      assert.equal(record?.message.text, 'АКБ BN56 — в корзине ✅');
      assert.deepEqual(record?.message.reply_markup, { inline_keyboard: [[{ text: 'Оформить', callback_data: 'checkout' }]] });
      assert.equal(record?.edits.length, 2);
      assert.equal(record?.edits[0].text, 'АКБ BN56 для Redmi 9A — 900 ₽');
      assert.equal(t.callbacks[0].answer?.text, 'Добавлено в корзину');

      assert.equal(await ok('deleteMessage', { chat_id: 400, message_id: sent.message_id }), true);
      assert.equal((await api('deleteMessage', { chat_id: 400, message_id: sent.message_id })).body.description, 'Bad Request: message to delete not found');
      assert.ok(sb.transcript(400).messages.find((m) => m.message.message_id === sent.message_id)?.deleted);
      assert.equal((await control('/callback', { chatId: 400, messageId: sent.message_id, data: 'checkout' })).status, 410);
    });

    it('presses by label on the newest message that has the button (TS API)', async () => {
      sb.sendText(401, '/cart');
      await ok('sendMessage', { chat_id: 401, text: 'Корзина: 1 товар', reply_markup: { inline_keyboard: [[{ text: 'Оформить', callback_data: 'checkout' }]] } });
      const query = sb.pressButton(401, { text: 'Оформить' });
      assert.equal(query.data, 'checkout');
      assert.throws(() => sb.pressButton(401, { text: 'Нет такой' }), /no bot message/);
    });
  });

  describe('files', () => {
    beforeEach(async () => {
      sb = createTelegramSandbox({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
      await sb.start();
    });

    it('stores a scripted voice note that getFile + the file URL deliver as Ogg Opus carrying the text', async () => {
      const said = 'дисплей на айфон одиннадцать оригинал';
      const injected = await control<{ message: TgMessage; fileId: string }>('/voice', { chatId: 500, text: said });
      assert.equal(injected.status, 200);
      const voice = injected.body.message.voice;
      assert.ok(voice);
      assert.equal(voice.mime_type, 'audio/ogg');
      assert.ok(voice.duration >= 1);

      const file = await ok<{ file_id: string; file_path: string; file_size: number }>('getFile', { file_id: voice.file_id });
      assert.match(file.file_path, /^voice\/file_\d+\.oga$/);
      const download = await fetch(`${sb.url}/file/bot${sb.token}/${file.file_path}`);
      assert.equal(download.status, 200);
      const bytes = Buffer.from(await download.arrayBuffer());
      assert.equal(bytes.length, file.file_size);
      assert.equal(bytes.toString('latin1', 0, 4), 'OggS');
      assert.ok(bytes.includes(Buffer.from('OpusHead')));
      assert.equal(readScriptedTranscript(bytes), said);
      assert.equal(sb.transcript(500).messages[0].scriptedTranscript, said);

      const wrongToken = await fetch(`${sb.url}/file/bot1:nope/${file.file_path}`);
      assert.equal(wrongToken.status, 404);
      const invalid = await api('getFile', { file_id: 'AwACAgIAAxkBAAI-nonexistent' });
      assert.equal(invalid.body.description, 'Bad Request: invalid file_id');
    });

    it('takes real Ogg bytes and photos over the control API', async () => {
      const ogg = sb.file(sb.sendVoice(501, 'проверка').voice?.file_id ?? '') as Buffer;
      const posted = await control<{ message: TgMessage }>('/voice', { chatId: 502, oggBase64: ogg.toString('base64') });
      assert.equal(posted.status, 200);
      assert.equal(readScriptedTranscript(sb.file(posted.body.message.voice?.file_id ?? '') as Buffer), 'проверка');
      const photo = await control<{ message: TgMessage }>('/photo', { chatId: 502, caption: 'Вздутая АКБ' });
      assert.equal(photo.body.message.caption, 'Вздутая АКБ');
      const largest = photo.body.message.photo?.at(-1);
      assert.ok(largest);
      const file = await ok<{ file_path: string }>('getFile', { file_id: largest.file_id });
      const res = await fetch(sb.fileUrl(file.file_path));
      assert.equal(res.headers.get('content-type'), 'image/png');
      const bad = await control('/voice', { chatId: 502, oggBase64: Buffer.from('not ogg').toString('base64') });
      assert.equal(bad.status, 400);
    });
  });

  describe('webhook mode', () => {
    let receiver: http.Server | undefined;
    afterEach(async () => {
      receiver?.closeAllConnections();
      await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
      receiver = undefined;
    });

    async function startReceiver(handler: (update: TgUpdate, headers: http.IncomingHttpHeaders, res: http.ServerResponse) => void): Promise<string> {
      receiver = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => handler(JSON.parse(Buffer.concat(chunks).toString('utf8')) as TgUpdate, req.headers, res));
      });
      await new Promise<void>((r) => receiver?.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(receiver?.address() as AddressInfo).port}/telegram/hook`;
    }

    it('POSTs updates to the webhook (with the secret token), refuses getUpdates meanwhile, retries a failing receiver', async () => {
      sb = createTelegramSandbox({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0, webhookRetryMs: 50 });
      await sb.start();
      const received: Array<{ update: TgUpdate; secret: unknown }> = [];
      let failNext = 1;
      const url = await startReceiver((update, headers, res) => {
        if (failNext-- > 0) {
          res.writeHead(500).end();
          return;
        }
        received.push({ update, secret: headers['x-telegram-bot-api-secret-token'] });
        if (update.message?.text === '/ping') {
          // Telegram lets a webhook answer with one method call.
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: 'sendMessage', chat_id: update.message.chat.id, text: 'pong' }));
          return;
        }
        res.writeHead(200).end();
      });

      // node-telegram-bot-api sends setWebHook parameters in the query string, with no body.
      const set = await fetch(`${sb.url}/bot${sb.token}/setWebHook?url=${encodeURIComponent(url)}&secret_token=s3cr3t`, { method: 'POST' });
      assert.deepEqual(await set.json(), { ok: true, result: true, description: 'Webhook was set' });
      const conflict = await api('getUpdates', {});
      assert.equal(conflict.status, 409);
      assert.equal(conflict.body.description, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");

      sb.sendText(600, '/ping');
      await sb.waitForBotMessage(600, { timeoutMs: 5000 });
      assert.equal(received.length, 1);
      assert.equal(received[0].update.message?.text, '/ping');
      assert.equal(received[0].secret, 's3cr3t');
      assert.equal(sb.botMessages(600)[0].text, 'pong');

      const info = await ok<{ url: string; pending_update_count: number; last_error_message?: string }>('getWebhookInfo');
      assert.equal(info.url, url);
      assert.equal(info.pending_update_count, 0);
      assert.equal(info.last_error_message, 'Wrong response from the webhook: 500 Internal Server Error');

      const deleted = await fetch(`${sb.url}/bot${sb.token}/deleteWebhook`, { method: 'POST' });
      assert.deepEqual(await deleted.json(), { ok: true, result: true, description: 'Webhook was deleted' });
      sb.sendText(600, 'снова опрос');
      const polled = await ok<TgUpdate[]>('getUpdates', {});
      assert.equal(polled.at(-1)?.message?.text, 'снова опрос');
    });
  });

  describe('control API', () => {
    beforeEach(async () => {
      sb = createTelegramSandbox({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
      await sb.start();
    });

    it('gives the full transcript and a long-poll that resolves when the bot answers', async () => {
      const sent = await control<{ message: TgMessage }>('/messages', { chatId: 700, firstName: 'Анна', username: 'anna_fix', text: 'чехол а51' });
      assert.equal(sent.body.message.from?.username, 'anna_fix');
      const started = performance.now();
      const waiting = control<{ timedOut: boolean; messages: TgMessage[] }>(`/chats/700/wait?afterMessageId=${sent.body.message.message_id}&timeoutMs=5000`);
      await sleep(100);
      await ok('sendChatAction', { chat_id: 700, action: 'typing' });
      await ok('sendMessage', { chat_id: 700, text: 'Нашлось 2 чехла для Galaxy A51' });
      const waited = await waiting;
      assert.equal(waited.body.timedOut, false);
      assert.equal(waited.body.messages[0].text, 'Нашлось 2 чехла для Galaxy A51');
      assert.ok(performance.now() - started < 2000);

      const already = await control<{ timedOut: boolean; messages: TgMessage[] }>('/chats/700/wait?timeoutMs=200');
      assert.equal(already.body.timedOut, false, 'by default: after the newest user message, which the bot has answered');
      const timeout = await control<{ timedOut: boolean; messages: TgMessage[] }>(`/chats/700/wait?afterMessageId=${waited.body.messages[0].message_id}&timeoutMs=200`);
      assert.equal(timeout.body.timedOut, true);
      assert.deepEqual(timeout.body.messages, []);
      const transcript = await control<Transcript>('/chats/700/messages');
      assert.equal(transcript.body.chat.first_name, 'Анна');
      assert.deepEqual(
        transcript.body.messages.map((m) => [m.direction, m.message.text]),
        [
          ['user', 'чехол а51'],
          ['bot', 'Нашлось 2 чехла для Galaxy A51'],
        ],
      );
      assert.equal(transcript.body.actions[0].action, 'typing');

      const revision = transcript.body.revision;
      const change = control<{ timedOut: boolean; transcript: Transcript }>(`/chats/700/wait?afterRevision=${revision}&timeoutMs=5000`);
      await sleep(50);
      sb.sendText(700, 'спасибо');
      const changed = await change;
      assert.equal(changed.body.timedOut, false);
      assert.equal(changed.body.transcript.messages.at(-1)?.message.text, 'спасибо');

      assert.equal((await control('/chats/999/messages')).status, 404);
      await control('/reset', {});
      assert.equal((await control('/chats/700/messages')).status, 404);
    });

    it('stays reachable and unrecorded during an injected Telegram outage, whose errors look like Telegram’s', async () => {
      sb.setFaults({ outage: true });
      const down = await api('getMe');
      assert.equal(down.status, 503);
      assert.deepEqual(down.body, { ok: false, error_code: 503, description: 'Service Unavailable' });
      const injected = await control('/messages', { chatId: 701, text: 'вы тут?' });
      assert.equal(injected.status, 200);
      assert.equal((await fetch(`${sb.url}/chat`)).status, 200);
      assert.deepEqual(
        sb.requests.map((r) => r.path),
        [`/bot${sb.token}/getMe`],
        'only the Bot API call is traffic',
      );
      sb.setFaults({});
      assert.equal((await ok<TgUpdate[]>('getUpdates', {})).length, 1, 'the message waited for the outage to end');
    });

    it('keeps bot commands per scope and language (setMyCommands / getMyCommands / deleteMyCommands)', async () => {
      const commands = [
        { command: 'find', description: 'Поиск запчастей' },
        { command: '/bring', description: 'Неси — заказ курьеру' },
      ];
      assert.equal(await ok('setMyCommands', { commands, scope: { type: 'all_private_chats' }, language_code: 'ru' }), true);
      assert.deepEqual(await ok('getMyCommands', { scope: { type: 'all_private_chats' }, language_code: 'ru' }), [
        { command: 'find', description: 'Поиск запчастей' },
        { command: 'bring', description: 'Неси — заказ курьеру' },
      ]);
      assert.deepEqual(await ok('getMyCommands', {}), [], 'another scope and language is another list');
      await ok('setMyCommands', { commands: [{ command: 'help', description: 'Справка' }] });
      const invalid = await api('setMyCommands', { commands: [{ command: 'Найти', description: 'x' }] });
      assert.equal(invalid.body.description, 'Bad Request: BOT_COMMAND_INVALID');

      // What the telegrambot node sends on deploy: scope not JSON-encoded, so qs makes
      // "scope[type]=all_private_chats" — a field Telegram does not know — and language_code "".
      // It deletes the default scope's list, not the one it names.
      const res = await fetch(`${sb.url}/bot${sb.token}/deleteMyCommands`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'scope%5Btype%5D=all_private_chats&language_code=',
      });
      assert.equal(res.status, 200);
      assert.deepEqual(sb.commands({ type: 'default' }, ''), []);
      assert.equal(sb.commands({ type: 'all_private_chats' }, 'ru').length, 2);
    });

    it('is driven from another process through TelegramSandboxClient, including per-method faults', async () => {
      const client = new TelegramSandboxClient(sb.url);
      const asked = await client.sendText(702, '/track 5001', { firstName: 'Олег' });
      const [update] = await ok<TgUpdate[]>('getUpdates', {});
      assert.equal(update.message?.message_id, asked.message_id);

      await client.failNext('sendMessage', { status: 429, retryAfter: 7 });
      const refused = await api('sendMessage', { chat_id: 702, text: 'Заказ 5001: в пути' });
      assert.equal(refused.status, 429);
      assert.deepEqual(refused.body.parameters, { retry_after: 7 });
      const waiting = client.waitForBotMessage(702, { timeoutMs: 3000 });
      await ok('sendMessage', { chat_id: 702, text: 'Заказ 5001: в пути', reply_markup: { inline_keyboard: [[{ text: 'Где курьер?', callback_data: 'where:5001' }]] } });
      assert.equal((await waiting).text, 'Заказ 5001: в пути');
      const query = await client.pressButton(702, { text: 'Где курьер?' });
      assert.equal(query.data, 'where:5001');
      const voice = await client.sendVoice(702, 'где мой заказ');
      assert.equal(readScriptedTranscript(sb.file(voice.voice?.file_id ?? '') as Buffer), 'где мой заказ');
      assert.equal((await client.transcript(702)).messages.length, 3, 'user, bot, voice (a press is a callback, not a message)');
      assert.equal((await client.pendingUpdates()).length, 3, 'nothing confirmed by an offset yet');
      await assert.rejects(client.waitForBotMessage(702, { timeoutMs: 100 }), /no bot message/);
      await client.reset();
      await assert.rejects(client.transcript(702), /404/);
    });

    it('serves the web chat page with Russian labels', async () => {
      const page = await fetch(`${sb.url}/chat`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const html = await page.text();
      assert.match(html, /Открыть чат/);
      assert.match(html, /\/chat\/chat\.js/);
      for (const asset of ['chat.js', 'chat.css']) assert.equal((await fetch(`${sb.url}/chat/${asset}`)).status, 200);
    });
  });

  it('registers under "telegram" for the demo mode', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../sandbox/telegram/register');
    const running = await startSandboxes({});
    try {
      assert.ok(running.urls.telegram);
      const me = await fetch(`${running.urls.telegram}/bot${running.servers.telegram && (running.servers.telegram as TelegramSandbox).token}/getMe`);
      assert.equal(me.status, 200);
    } finally {
      await running.stop();
    }
  });

  describe('node-telegram-bot-api against the sandbox', () => {
    it('polls an injected message and its sendMessage reply lands in the transcript', async function () {
      sb = createTelegramSandbox({ maxPerChatPerSecond: 0 });
      await sb.start();
      process.env.NTBA_FIX_319 = '1';
      process.env.NTBA_FIX_350 = '1';
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const TelegramBot = require('node-telegram-bot-api') as new (token: string, options: Record<string, unknown>) => {
        on(event: string, listener: (...args: never[]) => void): void;
        sendMessage(chatId: number, text: string, form?: Record<string, unknown>): Promise<TgMessage>;
        answerCallbackQuery(id: string, form?: Record<string, unknown>): Promise<boolean>;
        getFileLink(fileId: string): Promise<string>;
        stopPolling(options?: Record<string, unknown>): Promise<void>;
      };
      // As the telegrambot config node builds it (polling mode), only with a short poll timeout.
      const bot = new TelegramBot(sb.token, {
        polling: { autoStart: true, interval: 50, params: { timeout: 1 } },
        baseApiUrl: sb.url,
        request: { agentOptions: { keepAlive: true } },
      });
      const errors: string[] = [];
      bot.on('polling_error', (error: Error) => errors.push(error.message));
      bot.on('message', (msg: TgMessage) => {
        void (async () => {
          let text = `Ищу: ${msg.text ?? ''}`;
          if (msg.voice) text = `Голосовое: ${await bot.getFileLink(msg.voice.file_id)}`;
          await bot.sendMessage(msg.chat.id, text, {
            reply_markup: { inline_keyboard: [[{ text: 'Ещё', callback_data: 'more' }]] },
          });
        })().catch((error: Error) => errors.push(error.message));
      });
      bot.on('callback_query', (query: { id: string }) => {
        void bot.answerCallbackQuery(query.id, { text: 'Показываю ещё' }).catch((error: Error) => errors.push(error.message));
      });
      try {
        sb.sendText(800, 'дисплей айфон 11');
        const reply = await sb.waitForBotMessage(800, { timeoutMs: 8000 });
        assert.equal(reply.text, 'Ищу: дисплей айфон 11');
        assert.deepEqual(reply.reply_markup, { inline_keyboard: [[{ text: 'Ещё', callback_data: 'more' }]] });

        const query = sb.pressButton(800, { text: 'Ещё' });
        const answered = await sb.waitForChange(800, { afterRevision: sb.transcript(800).revision, timeoutMs: 8000 });
        assert.equal(answered.callbacks.find((c) => c.query.id === query.id)?.answer?.text, 'Показываю ещё');

        sb.sendVoice(800, 'аккумулятор редми');
        const voiceReply = await sb.waitForBotMessage(800, { timeoutMs: 8000 });
        assert.match(voiceReply.text ?? '', new RegExp(`^Голосовое: ${sb.url}/file/bot${sb.token}/voice/file_\\d+\\.oga$`));

        const sendCall = sb.requests.find((r) => r.path === `/bot${sb.token}/sendMessage`);
        assert.match(String(sendCall?.headers['content-type']), /^application\/x-www-form-urlencoded/);
        assert.equal(typeof (sendCall?.body as Record<string, unknown>).reply_markup, 'string');
        assert.deepEqual(errors, []);
      } finally {
        await bot.stopPolling();
      }
    });
  });
});
