import assert from 'node:assert/strict';
import { signTelegramLogin } from '../../sandbox/shop';
import { TelegramSandboxClient } from '../../sandbox/telegram';
import type { TgMessage } from '../../sandbox/telegram/types';
import { bootRuntime, type TestRuntime } from '../support/runtime';

/**
 * Conversations through the real flow «Ассистент мастера»: Telegram sandbox → telegram receiver
 * (node-red-contrib-telegrambot 17.0.6, long polling) → mw-stt → mw-assistant → mw-telegram-send
 * → Telegram sandbox, with the shop sandbox behind the catalog cache and the shop client.
 */
describe('flow «Ассистент мастера» (real runtime, Telegram and shop sandboxes)', function () {
  this.timeout(60_000);
  let rt: TestRuntime;
  let tg: TelegramSandboxClient;
  let shopUrl: string;

  const buttons = (m: TgMessage) => (m.reply_markup?.inline_keyboard ?? []).flat();
  /** Sends a text and returns the bot's messages that followed it (waits for the first). */
  async function say(chat: number, text: string, userId = chat): Promise<TgMessage[]> {
    const sent = await tg.sendText(chat, text, { userId, firstName: 'Игорь' } as never);
    return collectAfter(chat, sent.message_id);
  }
  async function press(chat: number, messageId: number, data: string): Promise<TgMessage[]> {
    const before = (await tg.transcript(chat)).messages.at(-1)!.message.message_id;
    await tg.pressButton(chat, { messageId, data });
    return collectAfter(chat, before, true);
  }
  async function collectAfter(chat: number, afterId: number, allowEditOnly = false): Promise<TgMessage[]> {
    try {
      await tg.waitForBotMessage(chat, { after: afterId, timeoutMs: 10_000 });
    } catch (error) {
      if (!allowEditOnly) throw error;
    }
    await new Promise((r) => setTimeout(r, 300)); // let a multi-message answer finish
    return (await tg.transcript(chat)).messages.filter((m) => m.direction === 'bot' && m.message.message_id > afterId).map((m) => m.message);
  }
  /** Waits until a bot message after `afterId` satisfies `match` (answers may come in several messages). */
  async function waitFor(chat: number, afterId: number, match: (m: TgMessage) => boolean): Promise<TgMessage> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = (await tg.transcript(chat)).messages.find((m) => m.direction === 'bot' && m.message.message_id > afterId && match(m.message));
      if (found) return found.message;
      if (Date.now() > deadline) throw new Error(`no matching bot message in chat ${chat}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function link(userId: number): Promise<void> {
    const data = signTelegramLogin({ id: userId, first_name: 'Игорь', auth_date: Math.floor(Date.now() / 1000) }, process.env.TELEGRAM_BOT_TOKEN!);
    const res = await fetch(`${rt.baseUrl}/api/v1/auth/telegram`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
    assert.equal(res.status, 200, await res.clone().text());
  }
  async function shopOrders(): Promise<{ number: string; paymentType: string; delivery: string; externalId?: string }[]> {
    const res = (await (await fetch(`${shopUrl}/__sandbox/shop/orders`)).json()) as { orders?: unknown[]; result?: unknown[] } | unknown[];
    return (Array.isArray(res) ? res : (res.orders ?? res.result ?? [])) as never;
  }

  before(async () => {
    rt = await bootRuntime();
    tg = new TelegramSandboxClient(rt.sandboxes.urls.telegram);
    shopUrl = rt.sandboxes.urls.shop;
    // The catalog cache is filled from the shop sandbox in the background at start.
    for (let i = 0; i < 100; i++) {
      const { count } = (await rt.mw.services.db('catalog_items').count({ count: '*' }).first()) as { count: string };
      if (Number(count) > 1000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('greets on /start and lists the commands on /help', async () => {
    const [hello] = await say(710001, '/start');
    assert.match(hello.text!, /Здравствуйте/);
    const [help] = await say(710001, '/help');
    for (const c of ['/find', '/cart', '/bring', '/track', '/return', '/howto', '/compat']) assert.ok(help.text!.includes(c), c);
  });

  it('search → add to cart → /bring → COD order confirmed with a number, created once in the shop', async () => {
    const chat = 710002;
    await link(chat);
    const results = await say(chat, 'акб редми 9');
    const found = results.find((m) => buttons(m).some((b) => b.callback_data?.startsWith('add:')))!;
    assert.ok(found, `search results with «В корзину»: ${results.map((m) => m.text).join(' | ')}`);
    const add = buttons(found).find((b) => b.callback_data?.startsWith('add:'))!;
    const added = await press(chat, found.message_id, add.callback_data!);
    assert.match(added.map((m) => m.text).join('\n'), /Добавил/);

    const [address] = await say(chat, '/bring');
    assert.match(address.text!, /адрес/i);
    const phone = await say(chat, 'Москва, ул. Ленина, д. 5, кв. 12');
    assert.match(phone.map((m) => m.text).join('\n'), /Телефон/);
    const typed = await tg.sendText(chat, '+7 912 345-67-89', { userId: chat } as never);
    const confirm = await waitFor(chat, typed.message_id, (m) => buttons(m).some((b) => b.callback_data === 'co:ok'));
    assert.match(confirm.text!, /наличными курьеру/);
    const before = (await shopOrders()).length;
    await tg.pressButton(chat, { messageId: confirm.message_id, data: 'co:ok' });
    const done = await waitFor(chat, confirm.message_id, (m) => /Заказ Z-\d+ оформлен/.test(m.text ?? ''));
    const text = done.text ?? '';
    const number = /Заказ (Z-\d+) оформлен/.exec(text)?.[1];
    assert.ok(number, text);
    const orders = (await shopOrders()).filter((o) => o.number === number);
    assert.equal(orders.length, 1);
    assert.equal(orders[0].paymentType, 'cod');
    assert.equal(orders[0].delivery, 'courier');
    assert.equal((await shopOrders()).length, before + 1, 'exactly one order created');
  });

  it('asks an unlinked master to link the account; the login page and the Login Widget link it', async () => {
    const chat = 710005;
    const [ask] = await say(chat, '/bring');
    const url = /(http:\/\/localhost:\d+\/login\S*)/.exec(ask.text ?? '')?.[1];
    assert.ok(url, `a link to the login page: ${ask.text}`);
    const page = await (await fetch(url.replace('localhost', '127.0.0.1'))).text();
    const widget = /<script async src="([^"]+)" data-telegram-login="([^"]+)"/.exec(page);
    assert.ok(widget, 'the page embeds the Telegram Login Widget');
    assert.equal(widget[1], `${rt.sandboxes.urls.telegram}/js/telegram-widget.js`);
    // What the widget hands to the page's onauth callback after the master confirms in Telegram.
    const user = await (await fetch(`${rt.sandboxes.urls.telegram}/__widget/auth?id=${chat}&first_name=Олег`)).json();
    const linked = await fetch(`${rt.baseUrl}/api/v1/auth/telegram`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    assert.equal(linked.status, 200, await linked.clone().text());
    const forged = await fetch(`${rt.baseUrl}/api/v1/auth/telegram`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...(user as object), id: chat + 1 }) });
    assert.equal(forged.status, 401, 'a changed id breaks the hash');
    const [after] = await say(chat, '/bring');
    assert.doesNotMatch(after.text ?? '', /Привязать аккаунт/);
  });

  it('understands a voice note: shows the transcript and searches', async () => {
    const chat = 710003;
    const sent = await tg.sendVoice(chat, 'дисплей самсунг а пятьдесят один');
    const replies = await collectAfter(chat, sent.message_id);
    const all = replies.map((m) => m.text).join('\n');
    assert.match(all, /Распознал/);
    assert.ok(replies.some((m) => buttons(m).some((b) => b.callback_data?.startsWith('add:'))), all);
  });

  it('answers nonsense, unknown commands and huge messages politely', async () => {
    const chat = 710004;
    const [unknown] = await say(chat, '/teleport');
    assert.match(unknown.text!, /\/help/);
    const [nonsense] = await say(chat, 'ыыыыы щщщщ');
    assert.ok(nonsense.text && nonsense.text.length > 0);
    const [huge] = await say(chat, 'дисплей '.repeat(500));
    assert.ok(huge.text && huge.text.length > 0);
  });
});
