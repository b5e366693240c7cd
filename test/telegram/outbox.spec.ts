import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTelegramSandbox, type TelegramSandbox } from '../../sandbox/telegram';
import type { OutgoingMessage } from '../../src/assistant/types';
import type { JournalEntry } from '../../src/journal/entry';
import { BotApi, BotApiError, toBotApiCall } from '../../src/telegram/bot-api';
import { TelegramOutbox, type SendFailure } from '../../src/telegram/outbox';
import { acquireOutbox } from '../../src/telegram/registry';

const msg = (chatId: number, text: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ method: 'sendMessage', chatId, text, parseMode: 'HTML', ...extra });

/** The bot's outbound queue against the Telegram sandbox's real flood limits (token buckets, 429 retry_after). */
describe('telegram outbox (Bot API send queue)', function () {
  this.timeout(30_000);
  let tg: TelegramSandbox;
  let api: BotApi;
  const chats = [300001, 300002, 300003];

  beforeEach(async () => {
    tg = createTelegramSandbox();
    await tg.start();
    for (const c of chats) tg.ensureChat(c, { firstName: 'Пётр' });
    api = new BotApi({ token: tg.token, baseUrl: tg.url, timeoutMs: 3000 });
  });
  afterEach(() => tg.stop());

  const texts = (chatId: number): string[] => tg.botMessages(chatId).map((m) => m.text ?? '');

  it('paces each chat (≈N msg/s with a burst) so Telegram never answers 429, and keeps the order per chat', async () => {
    tg.setRateLimits({ maxPerChatPerSecond: 5, burstPerChat: 2, maxGlobalPerSecond: 30 });
    const outbox = new TelegramOutbox({ api, perChatPerSecond: 5, perChatBurst: 2, globalPerSecond: 30 });
    const t0 = Date.now();
    const results = await Promise.all([
      outbox.sendAll(Array.from({ length: 8 }, (_, i) => msg(chats[0]!, `a${i + 1}`))),
      outbox.sendAll(Array.from({ length: 8 }, (_, i) => msg(chats[1]!, `b${i + 1}`))),
    ]);
    const elapsed = Date.now() - t0;
    assert.ok(results.flat().every((r) => r.ok));
    assert.deepEqual(texts(chats[0]!), ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']);
    assert.deepEqual(texts(chats[1]!), ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8']);
    assert.deepEqual(tg.core.limiter.refused, { chat: 0, group: 0, global: 0 }, 'paced below the limits: no 429 at all');
    assert.equal(outbox.stats.rateLimited, 0);
    // 2 at once, then 6 more at 5/s: ≥ 1.2 s; both chats in parallel, not one after the other.
    assert.ok(elapsed >= 1100, `elapsed ${elapsed} ms`);
    assert.ok(elapsed < 2400, `chats are paced in parallel (elapsed ${elapsed} ms)`);
    await outbox.close();
  });

  it('with the defaults fits Telegram’s published limits (the sandbox’s defaults: 1/s per chat, burst 3)', async () => {
    const outbox = new TelegramOutbox({ api });
    const t0 = Date.now();
    const results = await outbox.sendAll(Array.from({ length: 5 }, (_, i) => msg(chats[2]!, `m${i}`)));
    assert.ok(results.every((r) => r.ok));
    assert.equal(tg.core.limiter.refused.chat, 0);
    assert.ok(Date.now() - t0 >= 1900, 'three at once, then one a second');
    await outbox.close();
  });

  it('keeps under the global limit over many chats', async () => {
    tg.setRateLimits({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 10 });
    const outbox = new TelegramOutbox({ api, perChatPerSecond: 0, globalPerSecond: 10 });
    const t0 = Date.now();
    const results = await Promise.all(chats.flatMap((c) => Array.from({ length: 6 }, (_, i) => outbox.send(msg(c, `${c}-${i}`)))));
    assert.ok(results.every((r) => r.ok));
    assert.equal(tg.core.limiter.refused.global, 0);
    assert.ok(Date.now() - t0 >= 700, '18 messages at 10/s with a burst of 10 take ≥ 0.8 s');
    for (const c of chats) assert.deepEqual(texts(c), Array.from({ length: 6 }, (_, i) => `${c}-${i}`));
    await outbox.close();
  });

  it('sends close to the global limit itself (30/s less the safety margin), not a fraction of it', async () => {
    tg.setRateLimits({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 30 });
    const many = Array.from({ length: 60 }, (_, i) => 910_000 + i);
    for (const c of many) tg.ensureChat(c, { firstName: 'Мастер' });
    const outbox = new TelegramOutbox({ api, perChatPerSecond: 0, globalPerSecond: 30 });
    const t0 = Date.now();
    const results = await Promise.all(many.map((c) => outbox.send(msg(c, 'x'))));
    const elapsed = Date.now() - t0;
    assert.ok(results.every((r) => r.ok));
    assert.equal(tg.core.limiter.refused.global, 0);
    // A burst of 30, then 30 more at ≈28.6/s: about 1.05 s. At 12/s it would take 2.5 s.
    assert.ok(elapsed >= 700 && elapsed < 1800, `60 messages over 60 chats took ${elapsed} ms`);
    await outbox.close();
  });

  it('remembers a chat that went quiet a moment ago: the next turn does not get a fresh burst', async () => {
    tg.setRateLimits({ maxPerChatPerSecond: 1, burstPerChat: 3, maxGlobalPerSecond: 0 });
    const outbox = new TelegramOutbox({ api, perChatPerSecond: 1, perChatBurst: 3, globalPerSecond: 0 });
    const chat = chats[1]!;
    await outbox.sendAll([msg(chat, 't1'), msg(chat, 't2'), msg(chat, 't3')]);
    const t0 = Date.now();
    const [next] = await outbox.sendAll([msg(chat, 't4')]);
    assert.ok(next!.ok);
    assert.ok(Date.now() - t0 >= 800, 'waits for a token instead of running into Telegram’s 429');
    assert.equal(tg.core.limiter.refused.chat, 0);
    await outbox.close();
  });

  it('honours 429 retry_after from Telegram’s flood limiter: pauses the chat, resends the same message, order kept', async () => {
    tg.setRateLimits({ maxPerChatPerSecond: 1, burstPerChat: 1, maxGlobalPerSecond: 0 });
    // No pacing of our own: the sandbox must push back.
    const outbox = new TelegramOutbox({ api, perChatPerSecond: 0, globalPerSecond: 0 });
    const t0 = Date.now();
    const results = await outbox.sendAll([msg(chats[0]!, 'один'), msg(chats[0]!, 'два'), msg(chats[0]!, 'три')]);
    const elapsed = Date.now() - t0;
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual(texts(chats[0]!), ['один', 'два', 'три']);
    assert.ok(tg.core.limiter.refused.chat >= 2, 'Telegram said 429');
    assert.ok(outbox.stats.rateLimited >= 2);
    assert.ok(elapsed >= 1900, `waited retry_after each time (${elapsed} ms)`);
    assert.equal(results[2]!.attempts, 1, 'a 429 is not counted as a failed attempt');
    await outbox.close();
  });

  it('honours a long retry_after on one chat without holding up the others; callback answers are not queued', async () => {
    tg.setRateLimits({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
    tg.failNext('sendMessage', { status: 429, retryAfter: 2, times: 1 });
    const outbox = new TelegramOutbox({ api, perChatPerSecond: 0, globalPerSecond: 0 });
    const t0 = Date.now();
    const slow = outbox.send(msg(chats[0]!, 'после паузы'));
    await new Promise((r) => setTimeout(r, 100));
    const other = await outbox.send(msg(chats[1]!, 'сразу'));
    assert.ok(other.ok && Date.now() - t0 < 1000, 'another chat is not paused');
    // A button press in the paused chat is answered at once.
    tg.sendText(chats[0]!, 'дисплей');
    await outbox.send(msg(chats[0]!, 'кнопка', { replyMarkup: { inline_keyboard: [[{ text: 'Жми', callback_data: 'x' }]] } })).catch(() => undefined);
    const slowResult = await slow;
    assert.ok(slowResult.ok);
    assert.ok(Date.now() - t0 >= 1950, 'waited the 2 s Telegram asked for');
    const query = tg.pressButton(chats[0]!, { data: 'x' });
    tg.failNext('sendMessage', { status: 429, retryAfter: 2, times: 1 });
    const paused = outbox.send(msg(chats[0]!, 'снова пауза'));
    await new Promise((r) => setTimeout(r, 100));
    const t1 = Date.now();
    const answer = await outbox.send({ method: 'answerCallbackQuery', chatId: chats[0]!, callbackQueryId: query.id, text: 'Готово' });
    assert.ok(answer.ok);
    assert.ok(Date.now() - t1 < 500, 'answerCallbackQuery skips the paused chat queue');
    assert.equal(tg.callbackAnswer(query.id)?.text, 'Готово');
    assert.ok((await paused).ok);
    await outbox.close();
  });

  it('retries 5xx and network errors with back-off, then reports the failure (journal, metrics, onFailure)', async () => {
    tg.setRateLimits({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
    const journal: JournalEntry[] = [];
    const outcomes: string[] = [];
    const failures: SendFailure[] = [];
    const outbox = new TelegramOutbox({
      api,
      perChatPerSecond: 0,
      backoffMs: 20,
      maxAttempts: 3,
      journal: { write: (e) => void journal.push(e) },
      metrics: { recordOutboundOutcome: (_d, o) => void outcomes.push(o) },
      onFailure: (_m, f) => void failures.push(f),
    });
    tg.failNext('sendMessage', { status: 502, times: 2 });
    const ok = await outbox.send(msg(chats[0]!, 'со второго раза', { correlationId: 'corr-1' }));
    assert.ok(ok.ok);
    assert.equal(ok.attempts, 3);
    assert.deepEqual(texts(chats[0]!), ['со второго раза']);
    assert.deepEqual(outcomes, ['retry', 'retry', 'delivered']);
    assert.equal(journal.at(-1)!.status, 'ok');
    assert.equal(journal.at(-1)!.correlationId, 'corr-1');
    assert.equal(journal.at(-1)!.system, 'telegram');
    assert.equal(journal.at(-1)!.bodyMode, 'hash');

    tg.failNext('sendMessage', { status: 500, times: 5 });
    const failed = await outbox.send(msg(chats[0]!, 'не дойдёт'));
    assert.equal(failed.ok, false);
    assert.equal((failed as SendFailure).attempts, 3);
    assert.equal(failures.length, 1);
    assert.equal(journal.at(-1)!.status, 'error');
    assert.equal(journal.at(-1)!.bodyMode, 'masked');
    assert.equal(outcomes.at(-1), 'dead');

    // Network: nobody listens on that port.
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const offline = new TelegramOutbox({ api: new BotApi({ token: tg.token, baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 500 }), backoffMs: 10, maxAttempts: 2 });
    const net = await offline.send(msg(chats[0]!, 'x'));
    assert.equal(net.ok, false);
    assert.match((net as SendFailure).error, /network error ECONNREFUSED/);
    assert.ok(!(net as SendFailure).error.includes(tg.token), 'the token never appears in errors');
    await offline.close();
    await outbox.close();
  });

  it('does not retry refusals (bad markup, blocked bot); an unchanged edit is fine; a lost message is re-sent', async () => {
    tg.setRateLimits({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
    const outbox = new TelegramOutbox({ api, perChatPerSecond: 0, backoffMs: 10 });
    const bad = await outbox.send(msg(chats[0]!, '<b>незакрытый тег'));
    assert.equal(bad.ok, false);
    assert.equal((bad as SendFailure).status, 400);
    assert.match((bad as SendFailure).description!, /can't parse entities/);
    assert.equal((bad as SendFailure).attempts, 1);

    const localhost = await outbox.send(msg(chats[0]!, 'ссылка', { replyMarkup: { inline_keyboard: [[{ text: 'Оплатить', url: 'http://localhost:8080/pay/1' }]] } }));
    assert.equal(localhost.ok, false);
    assert.match((localhost as SendFailure).description!, /Wrong HTTP URL/, 'why the assistant puts such links into the text');

    const sent = await outbox.send(msg(chats[0]!, 'Корзина'));
    const messageId = (sent as { result: { message_id: number } }).result.message_id;
    const same = await outbox.send({ method: 'editMessageText', chatId: chats[0]!, messageId, text: 'Корзина', parseMode: 'HTML' });
    assert.ok(same.ok, 'message is not modified counts as done');
    const gone = await outbox.send({ method: 'editMessageText', chatId: chats[0]!, messageId: 999_999, text: 'Новая корзина', parseMode: 'HTML' });
    assert.ok(gone.ok);
    assert.equal(gone.method, 'sendMessage');
    assert.equal(texts(chats[0]!).at(-1), 'Новая корзина');

    tg.blockChat(chats[1]!);
    const blocked = await outbox.send(msg(chats[1]!, 'привет'));
    assert.equal(blocked.ok, false);
    assert.equal((blocked as SendFailure).status, 403);
    assert.equal((blocked as SendFailure).attempts, 1);
    await outbox.close();
  });

  it('reports its depth, refuses after close, and shares one queue per bot', async () => {
    tg.setRateLimits({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
    const a = acquireOutbox({ token: tg.token, baseUrl: tg.url }, { perChatPerSecond: 2, perChatBurst: 1 });
    const b = acquireOutbox({ token: tg.token, baseUrl: tg.url });
    assert.equal(a.outbox, b.outbox, 'same bot, same queue');
    const depths: number[] = [];
    a.outbox.onDepth((d) => depths.push(d));
    const all = a.outbox.sendAll([msg(chats[0]!, '1'), msg(chats[0]!, '2'), msg(chats[0]!, '3')]);
    assert.equal(a.outbox.depth, 3);
    await all;
    assert.equal(a.outbox.depth, 0);
    assert.ok(Math.max(...depths) === 3 && depths.at(-1) === 0);
    await a.release();
    assert.ok((await b.outbox.send(msg(chats[0]!, '4'))).ok, 'still open while b holds it');
    await b.release();
    const late = await b.outbox.send(msg(chats[0]!, '5'));
    assert.equal(late.ok, false);
    assert.match((late as SendFailure).error, /closed/);
  });

  it('maps OutgoingMessage to Bot API parameters (JSON body, reply_markup as an object)', async () => {
    assert.deepEqual(toBotApiCall({ method: 'sendMessage', chatId: 1, text: 'x', parseMode: 'HTML', disableLinkPreview: true, replyMarkup: { remove_keyboard: true } }), {
      method: 'sendMessage',
      params: { chat_id: 1, text: 'x', parse_mode: 'HTML', reply_markup: { remove_keyboard: true }, link_preview_options: { is_disabled: true } },
    });
    assert.deepEqual(toBotApiCall({ method: 'answerCallbackQuery', chatId: 1, callbackQueryId: 'q', text: 't', showAlert: true }).params, { callback_query_id: 'q', text: 't', show_alert: true });
    assert.deepEqual(toBotApiCall({ method: 'sendChatAction', chatId: 1, action: 'typing' }).params, { chat_id: 1, action: 'typing' });
    await assert.rejects(api.call('sendMessage', { chat_id: 424242, text: 'x' }), (e: unknown) => e instanceof BotApiError && e.status === 400 && /chat not found/.test(e.description));
    assert.throws(() => new BotApi({ token: 'nope' }), /malformed/);
  });
});
