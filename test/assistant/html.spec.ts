import assert from 'node:assert/strict';
import { createTelegramSandbox, type TelegramSandbox } from '../../sandbox/telegram';
import { callbackData, escapeHtml, h, isButtonUrlAllowed, join, splitHtml } from '../../src/assistant/html';
import { renderOrderCreated } from '../../src/assistant/render/orders';
import { renderResults } from '../../src/assistant/render/search';
import { BotApi } from '../../src/telegram/bot-api';
import { TelegramOutbox } from '../../src/telegram/outbox';

describe('assistant: HTML, message length, callback data and button URLs', () => {
  it('escapes values in the h template, keeps markup that is already safe', () => {
    assert.equal(escapeHtml('<a href="x">&amp;</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;amp;&lt;/a&gt;');
    const name = 'Дисплей <OLED> & Co';
    assert.equal(h`<b>${name}</b> ${3} ${null}`.value, '<b>Дисплей &lt;OLED&gt; &amp; Co</b> 3 ');
    assert.equal(h`${h`<i>${'<x>'}</i>`}`.value, '<i>&lt;x&gt;</i>');
    assert.equal(join([h`a`, h``, 'b<'], '\n').value, 'a\n\nb&lt;');
  });

  it('splits long texts at line boundaries, never above 4096, never inside a tag', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `<b>${i}.</b> Дисплей для Apple iPhone ${i} — 1 630 ₽ · в наличии 12 шт`);
    const chunks = splitHtml(lines.join('\n'));
    assert.ok(chunks.length >= 4);
    for (const c of chunks) {
      assert.ok(c.length <= 4096);
      assert.equal((c.match(/<b>/g) ?? []).length, (c.match(/<\/b>/g) ?? []).length);
    }
    assert.equal(chunks.join('\n'), lines.join('\n'));
    const oneLine = 'слово '.repeat(1500) + '&amp;';
    for (const c of splitHtml(oneLine)) assert.ok(c.length <= 4096 && !/&am?$/.test(c));
  });

  it('keeps callback data within 64 bytes (the free text part is shortened)', () => {
    assert.equal(callbackData('add', 10116), 'add:10116');
    const long = callbackData('kit', 'display_iphone', 'Apple iPhone 15 Pro Max 1TB «Титановый» синий: новый');
    assert.ok(Buffer.byteLength(long) <= 64, long);
    assert.ok(long.startsWith('kit:display_iphone:Apple iPhone 15'));
    assert.ok(!long.slice('kit:display_iphone:'.length).includes(':'), 'colons inside parts are replaced');
  });

  it('knows which URLs Telegram accepts in buttons', () => {
    for (const u of ['https://shop.example.ru/pay/1', 'http://pay.example.com:8080/x']) assert.equal(isButtonUrlAllowed(u), true, u);
    for (const u of ['http://localhost:1880/pay', 'http://127.0.0.1:4000/pay/1', 'http://[::1]/x', 'http://intranet/pay', 'ftp://example.com/x', 'не ссылка', undefined]) {
      assert.equal(isButtonUrlAllowed(u), false, String(u));
    }
  });

  it('a prepaid order on a real host gets a URL button; on loopback the link goes into the text', () => {
    const order = { id: 7, number: 'Z-000007', status: 'new', history: [], paymentType: 'prepaid', delivery: 'pickup', address: null, trackingNumber: null, lines: [], total: 2450, paid: false, createdAt: new Date().toISOString() };
    const real = renderOrderCreated({ ...order, paymentUrl: 'https://shop.example.ru/pay/7' });
    assert.deepEqual(real.keyboard[0], [{ text: '💳 Оплатить 2\u00a0450 ₽', url: 'https://shop.example.ru/pay/7' }]);
    assert.ok(!real.text.value.includes('https://'));
    const local = renderOrderCreated({ ...order, paymentUrl: 'http://127.0.0.1:4010/pay/7' });
    assert.ok(local.keyboard.flat().every((b) => !('url' in b && b.url)));
    assert.match(local.text.value, /💳 Оплатить 2\u00a0450 ₽: http:\/\/127\.0\.0\.1:4010\/pay\/7/);
    assert.equal(local.disableLinkPreview, true);
  });

  describe('against the Telegram sandbox', () => {
    let tg: TelegramSandbox;
    before(async () => {
      tg = createTelegramSandbox({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
      await tg.start();
      tg.ensureChat(400001, { firstName: 'Ольга' });
    });
    after(() => tg.stop());

    it('a product name full of markup characters is shown literally, with our formatting intact', async () => {
      const outbox = new TelegramOutbox({ api: new BotApi({ token: tg.token, baseUrl: tg.url }), perChatPerSecond: 0 });
      const weird = 'Дисплей <OLED> & "Co" для <b>iPhone</b> 11 ©';
      const page = renderResults(
        { items: [{ id: 1, name: weird, quality: 'A&B <copy>', priceMaster: 1630, stockTotal: 3, models: [] }], suggestions: [], explanation: 'Понял: <что-то>', understood: true, models: [], asOf: null, degraded: false },
        { offset: 0, pageSize: 5 },
      );
      const result = await outbox.send({ method: 'sendMessage', chatId: 400001, text: page.text.value, parseMode: 'HTML', replyMarkup: { inline_keyboard: page.keyboard } });
      assert.ok(result.ok, JSON.stringify(result));
      const [m] = tg.botMessages(400001);
      assert.ok(m!.text!.includes(weird));
      assert.ok(m!.text!.includes('Качество: A&B <copy>'));
      const bold = m!.entities!.find((e) => e.type === 'bold')!;
      assert.equal(m!.text!.slice(bold.offset, bold.offset + bold.length), weird);
      await outbox.close();
    });
  });
});
