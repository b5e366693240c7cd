import assert from 'node:assert/strict';
import { rateLimitPortFrom } from '../../src/assistant/adapters';
import { handleUpdate } from '../../src/assistant/handle-update';
import { normalizeTelegramUpdate } from '../../src/assistant/normalize';
import { pollStatusChanges } from '../../src/assistant/notifications';
import { deliverQueuedOrder, QUEUED_ORDER_DESTINATION, QUEUED_ORDER_RETRY_POLICY } from '../../src/assistant/queued-orders';
import { PgChatStateStore } from '../../src/assistant/state-store';
import { DeliveryWorker } from '../../src/outbound/worker';
import { verifyFileSignature } from '../../src/telegram/file-proxy';
import { AssistantHarness, PHOTO_BASE, PHOTO_SECRET, textOf } from './harness';

/**
 * «Ассистент мастера» end to end: PostgreSQL, the shop sandbox (real ShopClient, catalog cache
 * and search service, token vault) and the Telegram sandbox over HTTP (getUpdates → handleUpdate
 * → outbox). Each test uses its own chat (= Telegram user) id.
 */
describe('assistant: the master’s Telegram bot end to end', function () {
  this.timeout(60_000);
  const h = new AssistantHarness();
  before(() => h.start());
  after(() => h.stop());
  afterEach(function () {
    // Telegram refused nothing: HTML, button URLs, callback data were all acceptable.
    assert.deepEqual(h.failures, [], `${this.currentTest?.title}: messages refused by Telegram`);
    for (const m of h.sent) {
      const markup = m.replyMarkup as { inline_keyboard?: { callback_data?: string }[][] } | undefined;
      for (const b of markup?.inline_keyboard?.flat() ?? []) if (b.callback_data) assert.ok(Buffer.byteLength(b.callback_data) <= 64, b.callback_data);
      if (m.text) assert.ok(m.text.length <= 4096);
    }
  });

  it('greets on /start, lists the commands on /help, and is polite to unknown commands and nonsense', async () => {
    const chat = 200001;
    const start = await h.say(chat, '/start');
    assert.match(textOf(start), /Здравствуйте, Иван!/);
    assert.match(textOf(start), /\/find — поиск запчасти/);
    assert.match(textOf(start), /привяжите аккаунт магазина/, 'an unlinked user is offered to link');
    assert.deepEqual(h.buttons(start.at(-1)).map((b) => b.url), ['https://shop.example.ru/telegram-login']);

    const help = await h.say(chat, '/help');
    for (const c of ['/find', '/cart', '/order', '/bring', '/myorders', '/track', '/return', '/compat', '/howto']) assert.ok(textOf(help).includes(c), c);

    const unknown = await h.say(chat, '/teleport домой');
    assert.match(textOf(unknown), /Не знаю команду \/teleport/);
    assert.match(textOf(unknown), /\/find/);

    const nonsense = await h.say(chat, 'асдфгх');
    assert.match(textOf(nonsense), /Не понял запрос «асдфгх»/);
    const symbols = await h.say(chat, '?!.,');
    assert.match(textOf(symbols), /Не понял запрос|Что ищем/);
    const hi = await h.say(chat, 'Привет!');
    assert.match(textOf(hi), /Здравствуйте, Иван! Что ищем/);
  });

  it('answers stickers, documents and huge messages politely and never crashes', async () => {
    const chat = 200002;
    const doc = await (async () => {
      const before = h.tg.botMessages(chat).length;
      const { update } = h.tg.core.sendDocument(chat, { bytes: Buffer.from('%PDF-1.4'), fileName: 'счёт.pdf' });
      await h.settle(update?.update_id);
      return h.tg.botMessages(chat).slice(before);
    })();
    assert.match(textOf(doc), /Такое сообщение я пока не понимаю/);

    // Telegram's own update with a sticker (the sandbox has no sticker injection): normalised and answered.
    const sticker = normalizeTelegramUpdate({ update_id: 1, message: { message_id: 5, date: 1, chat: { id: chat, type: 'private' }, from: { id: chat, is_bot: false, first_name: 'Иван' }, sticker: { file_id: 'CAAC' } } });
    assert.equal(sticker?.kind, 'unsupported');
    const stickerOut = await handleUpdate(sticker!, h.context());
    assert.match(stickerOut[0]!.text!, /стикер/i);
    await h.outbox.sendAll(stickerOut);

    // 5000 characters cannot come from Telegram (4096 is its limit); handled anyway.
    const huge = await handleUpdate({ kind: 'text', chatId: chat, userId: chat, text: 'дисплей '.repeat(625) }, h.context());
    assert.equal(huge.length, 1);
    assert.match(huge[0]!.text!, /Сообщение получилось длинным \(5000 символов\)/);
    // A voice note speech-to-text could not handle: the words of src/stt, never silence.
    const tooLong = await handleUpdate({ kind: 'voice', chatId: chat, userId: chat, failure: 'too_long' }, h.context());
    assert.match(tooLong[0]!.text!, /Голосовое получилось длинным/);
    const unheard = await handleUpdate({ kind: 'voice', chatId: chat, userId: chat }, h.context());
    assert.match(unheard[0]!.text!, /Не расслышал/);
    const long = await h.say(chat, 'а'.repeat(4096));
    assert.match(textOf(long), /до 500 символов/);
  });

  it('finds parts by free text: name, quality, master price, stock, buttons per item and «Ещё»', async () => {
    const chat = 200003;
    const [msg] = await h.say(chat, 'дисплей айфон 11');
    const text = msg!.text!;
    assert.match(text, /Понял: Дисплей · Apple iPhone 11/);
    assert.match(text, /1\. Дисплей в сборе с тачскрином для Apple iPhone 11 \(черный\) — Копия AAA\n\s+Качество: Копия AAA · 1\s630 ₽ · в наличии 12 шт/);
    assert.match(text, /2\. .*Оригинал \(снятый\)\n\s+Качество: Оригинал \(снятый\) · 6\s540 ₽ · нет в наличии/);
    const data = h.buttons(msg).map((b) => b.callback_data);
    assert.deepEqual(data, ['add:10116', 'compat:10116', 'compat:10115'], 'no «В корзину» for what is not in stock');
    assert.ok(h.buttons(msg).some((b) => b.text.startsWith('🛒 В корзину')));
    assert.ok(h.buttons(msg).some((b) => b.text.startsWith('🔗 Совместимость')));
    assert.ok(msg!.entities?.some((e) => e.type === 'italic'), 'HTML formatting applied');

    const [page1] = await h.say(chat, '/find дисплей iphone');
    assert.ok(h.buttons(page1).some((b) => b.callback_data === 'more:5'), 'more than five results: «Ещё»');
    assert.equal((page1!.text!.match(/^\d+\. /gm) ?? []).length, 5);
    const [page2] = await h.press(chat, { data: 'more:5' });
    assert.match(page2!.text!, /^Ещё варианты:/);
    assert.match(page2!.text!, /^6\. /m);
  });

  it('says when nothing is found, suggests close matches and sends the «Неси» request to a manager', async () => {
    const chat = 200004;
    const [msg] = await h.say(chat, 'дисплей iphone 5s');
    assert.match(msg!.text!, /По запросу «дисплей iphone 5s» ничего не нашлось/);
    assert.match(msg!.text!, /Возможно, подойдёт:/);
    const data = h.buttons(msg).map((b) => b.callback_data);
    assert.ok(data.includes('item:10088'), 'suggestions as buttons');
    assert.equal(data.at(-1), 'bring:req');
    assert.equal(h.buttons(msg).at(-1)!.text, '📦 Заказать под заказ (Неси)');

    const [card] = await h.press(chat, { data: 'item:10088' });
    assert.match(card!.text!, /Apple iPhone XS/);
    assert.ok(h.buttons(card).some((b) => b.callback_data === 'compat:10088'));

    const [sent] = await h.press(chat, { data: 'bring:req' });
    assert.match(sent!.text!, /Передал менеджеру запрос «дисплей iphone 5s»/);
    assert.equal(h.lastCallbackAnswer(chat)?.text, 'Запрос отправлен менеджеру');
    assert.deepEqual(h.managerRequests.at(-1), { chatId: chat, telegramUserId: chat, firstName: 'Иван', linked: false, text: 'дисплей iphone 5s' });
  });

  it('asks an unlinked user to link the account before the cart (URL button, or text for localhost)', async () => {
    const chat = 200005;
    await h.say(chat, 'акб redmi 9a');
    const [ask] = await h.press(chat, { data: 'add:10675' });
    assert.match(ask!.text!, /Чтобы заказывать, привяжите аккаунт магазина/);
    assert.deepEqual(h.buttons(ask), [{ text: '🔗 Привязать аккаунт', url: 'https://shop.example.ru/telegram-login' }]);
    assert.equal(h.lastCallbackAnswer(chat)?.text, 'Нужно привязать аккаунт магазина');

    const saved = h.settings;
    h.settings = { loginUrl: 'http://localhost:1880/link' };
    try {
      const [local] = await h.say(chat, '/cart');
      assert.match(local!.text!, /🔗 Привязать аккаунт: http:\/\/localhost:1880\/link/);
      assert.equal(local!.reply_markup, undefined, 'Telegram refuses localhost in buttons: the link is in the text');
    } finally {
      h.settings = saved;
    }
  });

  it('cart and COD checkout with the courier «Неси» end in an order number; the order exists once', async () => {
    const chat = 200006;
    const { shopUserId } = await h.link(chat);
    await h.say(chat, 'акб redmi 9a');
    const added = await h.press(chat, { data: 'add:10675' });
    assert.equal(h.lastCallbackAnswer(chat)?.text, 'Добавлено в корзину ✅');
    assert.match(textOf(added), /Добавил: Аккумулятор BN56 .*\(1 шт, 1\s100 ₽\)/);
    assert.match(textOf(added), /Итого: 1\s100 ₽ · 1 шт/);

    const [cart] = await h.say(chat, 'корзина');
    assert.match(cart!.text!, /🛒 Корзина\n\n1\. Аккумулятор BN56/);
    const line = h.shop.cart(shopUserId)[0]!;
    const inc = `cart:inc:${line.id}`;
    assert.deepEqual(h.buttons(cart).map((b) => b.callback_data), [`cart:dec:${line.id}`, inc, `cart:del:${line.id}`, 'co:start']);
    await h.press(chat, { data: inc, messageId: cart!.message_id });
    const edited = h.tg.botMessages(chat).find((m) => m.message_id === cart!.message_id)!;
    assert.match(edited.text!, /2 × 1\s100 ₽ = 2\s200 ₽/, 'the cart message is edited in place');
    assert.equal(h.lastCallbackAnswer(chat)?.text, 'Теперь 2 шт');

    const [delivery] = await h.press(chat, { data: 'co:start', messageId: cart!.message_id });
    assert.match(delivery!.text!, /Оформляем заказ\. В корзине 2 шт на 2\s200 ₽\.\n\nКак доставить\?/);
    const [payment] = await h.press(chat, { data: 'co:dlv:courier' });
    assert.match(payment!.text!, /Как оплатите\?/);
    assert.deepEqual(h.buttons(payment).map((b) => b.text), ['💳 Оплатить онлайн', '💵 Наличными курьеру', '✖️ Отмена']);
    const [address] = await h.press(chat, { data: 'co:pay:cod' });
    assert.match(address!.text!, /Напишите адрес доставки/);
    const phoneAsk = await h.say(chat, 'Москва, ул. Ленина, д. 5, кв. 12');
    assert.match(textOf(phoneAsk), /Адрес записал ✅\n\nТелефон для курьера\?/);
    const keyboard = h.tg.transcript(chat).messages.at(-1)!.replyKeyboard as { keyboard?: { request_contact?: boolean }[][] };
    assert.equal(keyboard.keyboard?.[0]?.[0]?.request_contact, true, '«📱 Отправить номер» asks Telegram for the contact');
    const confirm = await h.contact(chat, '79123456789');
    assert.match(textOf(confirm), /Номер записал ✅/);
    assert.match(textOf(confirm), /Проверьте заказ:[\s\S]*Аккумулятор BN56[\s\S]*Итого: 2\s200 ₽[\s\S]*Доставка: курьер «Неси»\nАдрес: Москва, ул\. Ленина, д\. 5, кв\. 12\nТелефон: \+79123456789\nОплата: наличными курьеру/);

    const confirmId = confirm.at(-1)!.message_id;
    const done = await h.press(chat, { data: 'co:ok' });
    const order = h.shop.orders.filter((o) => o.userId === shopUserId);
    assert.equal(order.length, 1);
    assert.match(textOf(done), new RegExp(`Заказ ${order[0]!.number} оформлен!`));
    assert.match(textOf(done), /Доставка: курьер «Неси», трек NS-\d{6}/);
    assert.match(textOf(done), /Оплата: наличными курьеру при получении/);
    assert.equal(order[0]!.paymentType, 'cod');
    assert.equal(order[0]!.delivery, 'courier');
    assert.equal(order[0]!.externalId?.startsWith(`tg${chat}-`), true);

    // A second press of the old «Подтвердить» (e.g. from another device) orders nothing more.
    const again = await h.press(chat, { data: 'co:ok', messageId: confirmId, force: true });
    assert.match(textOf(again), /уже завершено или устарело/);
    assert.equal(h.shop.orders.filter((o) => o.userId === shopUserId).length, 1);
    assert.equal(h.shop.suspectedDuplicateOrders().length, 0);
  });

  it('/order: prepaid with the payment link as text when it points at localhost (Telegram refuses it in buttons)', async () => {
    const chat = 200007;
    const { shopUserId } = await h.link(chat);
    await h.say(chat, 'набор отверток');
    await h.press(chat, { data: 'add:11019' });
    const [delivery] = await h.say(chat, '/order');
    assert.match(delivery!.text!, /Заказ с онлайн-оплатой/);
    const confirm = await h.press(chat, { data: 'co:dlv:pickup' });
    assert.match(textOf(confirm), /Самовывоз оплачивается онлайн/);
    assert.match(textOf(confirm), /Оплата: онлайн, ссылку пришлю после подтверждения/);
    const done = await h.press(chat, { data: 'co:ok' });
    const order = h.shop.orders.find((o) => o.userId === shopUserId)!;
    assert.equal(order.paymentType, 'prepaid');
    assert.equal(order.delivery, 'pickup');
    const last = done.at(-1)!;
    assert.match(last.text!, new RegExp(`Заказ ${order.number} оформлен!`));
    assert.match(last.text!, /💳 Оплатить 590 ₽: http:\/\/127\.0\.0\.1:\d+\/pay\/\d+/);
    assert.ok(!h.buttons(last).some((b) => b.url), 'no URL button for a loopback link');
    assert.deepEqual(h.buttons(last).map((b) => b.callback_data), [`trk:${order.number}`]);
  });

  it('tracks orders with the status history in Russian words; /myorders lists them', async () => {
    const chat = 200008;
    const { shopUserId } = await h.link(chat);
    await h.say(chat, 'набор отверток');
    await h.press(chat, { data: 'add:11019' });
    await h.say(chat, '/bring');
    await h.say(chat, 'Казань, ул. Баумана, 1');
    await h.say(chat, '+7 912 345-67-89');
    await h.press(chat, { data: 'co:ok' });
    const order = h.shop.orders.find((o) => o.userId === shopUserId)!;
    h.shop.advanceOrder(order.number, 'handed_to_courier');

    const [tracked] = await h.say(chat, 'где мой заказ?');
    assert.match(tracked!.text!, new RegExp(`Заказ ${order.number} — передан курьеру`));
    assert.match(tracked!.text!, /История:\n• [\d:. ]+ — новый\n• [\d:. ]+ — подтверждён\n• [\d:. ]+ — собирается\n• [\d:. ]+ — передан курьеру/);
    assert.match(tracked!.text!, /Доставка: курьер «Неси», трек NS-/);

    const [byNumber] = await h.say(chat, `/track ${order.number}`);
    assert.match(byNumber!.text!, /передан курьеру/);
    const [missing] = await h.say(chat, '/track Z-999999');
    assert.match(missing!.text!, /Не нашёл заказ Z-999999/);

    const [list] = await h.say(chat, '/myorders');
    assert.match(list!.text!, new RegExp(`${order.number} от \\d\\d\\.\\d\\d · 590 ₽ · передан курьеру`));
    const [pressed] = await h.press(chat, { data: `trk:${order.number}` });
    assert.match(pressed!.text!, /передан курьеру/);
  });

  it('return: pick a delivered order, the line, the reason, two photos → a return with its number', async () => {
    const chat = 200009;
    const { shopUserId } = await h.link(chat);
    await h.say(chat, 'акб redmi 9a');
    await h.press(chat, { data: 'add:10676' });
    await h.press(chat, { data: 'add:10676' });
    await h.say(chat, '/bring');
    await h.say(chat, 'Самара, Московское ш., 4');
    await h.contact(chat, '+79001112233');
    await h.press(chat, { data: 'co:ok' });
    const order = h.shop.orders.find((o) => o.userId === shopUserId)!;

    const early = await h.say(chat, '/return');
    assert.match(textOf(early), /Возврат оформляется по доставленным заказам/);
    h.shop.advanceOrder(order.number, 'delivered');

    const [pick] = await h.say(chat, 'возврат');
    assert.deepEqual(h.buttons(pick).map((b) => b.callback_data), [`rt:o:${order.number}`, 'rt:cancel']);
    const [lines] = await h.press(chat, { data: `rt:o:${order.number}` });
    const item = order.items[0]!;
    assert.deepEqual(h.buttons(lines).map((b) => b.callback_data), [`rt:l:${item.id}`, 'rt:cancel']);
    const [qty] = await h.press(chat, { data: `rt:l:${item.id}` });
    assert.match(qty!.text!, /Сколько штук возвращаем\? \(в заказе 2\)/);
    const [reason] = await h.press(chat, { data: 'rt:q:1' });
    assert.match(reason!.text!, /Причина возврата\?/);
    const [photos] = await h.press(chat, { data: 'rt:r:defect' });
    assert.match(photos!.text!, /Пришлите фото запчасти \(от 1 до 5\)/);

    // «Готово» without a photo is refused with an alert.
    await h.press(chat, { data: 'rt:done', messageId: photos!.message_id, force: true });
    assert.equal(h.lastCallbackAnswer(chat)?.text, 'Пришлите хотя бы одно фото');
    assert.equal(h.lastCallbackAnswer(chat)?.show_alert, true);

    const [first] = await h.photo(chat);
    assert.match(first!.text!, /Фото 1 из 5 получено ✅/);
    const [second] = await h.photo(chat);
    assert.match(second!.text!, /Фото 2 из 5 получено ✅/);
    const done = await h.press(chat, { data: 'rt:done' });
    const ret = h.shop.returns.find((r) => r.userId === shopUserId)!;
    assert.ok(ret, 'the return exists in the shop');
    assert.match(textOf(done), new RegExp(`Заявка на возврат ${ret.number} создана`));
    assert.equal(ret.reason, 'Брак');
    assert.equal(ret.quantity, 1);
    assert.equal(ret.photos.length, 2);
    for (const url of ret.photos) {
      assert.ok(url.startsWith(`${PHOTO_BASE}/`), url);
      assert.ok(!url.includes(h.tg.token), 'the bot token never leaves the middleware');
      const u = new URL(url);
      assert.ok(verifyFileSignature(decodeURIComponent(u.pathname.split('/').at(-1)!), u.searchParams.get('sig'), PHOTO_SECRET));
    }
    const repeat = await h.press(chat, { data: 'rt:done', messageId: second!.message_id, force: true });
    assert.match(textOf(repeat), /уже отправлена или устарела/);
    assert.equal(h.shop.returns.filter((r) => r.userId === shopUserId).length, 1);
  });

  it('compat: which parts fit a model (shared parts marked) and which models a part fits', async () => {
    const chat = 200010;
    const [byModel] = await h.say(chat, '/compat редми 9а');
    assert.match(byModel!.text!, /Совместимость: Xiaomi Redmi 9A/);
    assert.match(byModel!.text!, /Подходит 14 запчастей, из них общих с другими моделями: 7/);
    assert.match(byModel!.text!, /Общие запчасти с: Xiaomi Redmi 10A, Xiaomi Redmi 9C/);
    assert.match(byModel!.text!, /<?Дисплей>?\n• Дисплей в сборе .*\n\s+↔ также: Xiaomi Redmi 9C, Xiaomi Redmi 10A/);

    const [phrase] = await h.say(chat, 'что подходит к редми 9а?');
    assert.match(phrase!.text!, /Совместимость: Xiaomi Redmi 9A/);

    await h.say(chat, 'дисплей redmi 9c');
    const [byItem] = await h.press(chat, { data: 'compat:10673' });
    assert.match(byItem!.text!, /Подходит к: Xiaomi Redmi 9A, Xiaomi Redmi 9C, Xiaomi Redmi 10A/);
    assert.match(byItem!.text!, /Общая запчасть для 3 моделей/);

    const [part] = await h.say(chat, '/compat BN56');
    assert.match(part!.text!, /Подходит к: Xiaomi Redmi 9A, Xiaomi Redmi 9C, Xiaomi Redmi 10A/);
  });

  it('howto: steps and «Заказать комплект», which puts the kit for the model into the cart', async () => {
    const chat = 200011;
    const { shopUserId } = await h.link(chat);
    const [tip] = await h.say(chat, 'как поменять дисплей на айфон 11');
    assert.match(tip!.text!, /🔧 Замена дисплея iPhone/);
    assert.match(tip!.text!, /^1\. /m);
    assert.match(tip!.text!, /🧰 Комплект: дисплей, проклейка/);
    const [kitButton] = h.buttons(tip);
    assert.equal(kitButton!.text, '🧰 Заказать комплект');
    assert.match(kitButton!.callback_data!, /^kit:display_iphone:айфон 11$/);
    const added = await h.press(chat, { data: kitButton!.callback_data! });
    const cart = h.shop.cart(shopUserId).map((l) => l.productId).sort();
    assert.ok(cart.includes(10129), 'the ready-made kit for iPhone 11 replaces display, adhesive and screwdrivers');
    assert.ok(!cart.includes(10116) && !cart.includes(11019), 'parts and tools inside the kit are not added twice');
    assert.ok(cart.includes(11020), 'the suction cup is not in the kit: added');
    assert.match(textOf(added), /Добавил в корзину:\n✅ Комплект для замены дисплея для Apple iPhone 11/);

    // Without a model: the kit asks for it.
    const chat2 = 200012;
    const { shopUserId: user2 } = await h.link(chat2);
    const [tip2] = await h.say(chat2, '/howto как заменить аккумулятор');
    const [ask] = await h.press(chat2, { data: h.buttons(tip2)[0]!.callback_data! });
    assert.match(ask!.text!, /Для какой модели собрать комплект\?/);
    const added2 = await h.say(chat2, 'Redmi 9A');
    assert.match(textOf(added2), /🧰 Комплект для Redmi 9A/);
    const cart2 = h.shop.cart(user2).map((l) => l.productId);
    assert.ok(cart2.includes(10686), 'the battery kit for Redmi 9A (battery, adhesive, suction cup)');
    assert.ok(!cart2.includes(11020), 'the suction cup is in the kit: not added again');
    assert.ok(cart2.includes(11019), 'screwdrivers are not in it: added');
  });

  it('voice: the transcript is handled like text and shown', async () => {
    const chat = 200013;
    const [msg] = await h.voice(chat, 'дисплей айфон 11');
    assert.match(msg!.text!, /^🎤 Распознал: «дисплей айфон 11»\n/);
    assert.ok(h.buttons(msg).some((b) => b.callback_data === 'add:10116'));
  });

  it('escapes every user and shop text for HTML (telegrambot 17.0.6 has no plain-text fallback)', async () => {
    const chat = 200014;
    const [msg] = await h.say(chat, '<i>zzzz</i> & <script>');
    assert.match(msg!.text!, /Не понял запрос «<i>zzzz<\/i> & <script>»/, 'shown literally, not as markup');
    assert.ok(!msg!.entities?.some((e) => e.type === 'italic' && msg!.text!.slice(e.offset, e.offset + e.length) === 'zzzz'));
    const [manager] = await h.press(chat, { data: 'bring:req' });
    assert.match(manager!.text!, /Передал менеджеру запрос «<i>zzzz<\/i> & <script>»/);
    const [found] = await h.say(chat, 'присоска & <клей>');
    assert.ok(found!.text!.length > 0);
  });

  it('shop outage: search answers from the cache with «Цены и наличие на HH:MM», the order is queued and confirmed later, once', async () => {
    const chat = 200015;
    const { shopUserId } = await h.link(chat);
    await h.say(chat, 'акб redmi 9a');
    await h.press(chat, { data: 'add:10675' });
    h.shop.setFaults({ outage: true });
    try {
      const cart = await h.say(chat, '/cart');
      assert.match(textOf(cart), /Магазин сейчас не отвечает 😔 Поиск работает по сохранённым ценам/);
      const [found] = await h.say(chat, 'акб redmi 9a');
      assert.match(found!.text!, /^⚠️ Цены и наличие на \d\d:\d\d — магазин временно не отвечает/);
      assert.ok(h.buttons(found).some((b) => b.callback_data === 'add:10675'));
      const started = await h.say(chat, '/bring');
      assert.match(textOf(started), /Магазин сейчас не отвечает — заказ примем и подтвердим/);
      await h.say(chat, 'Тверь, ул. Советская, 10');
      await h.say(chat, '89123456789');
      const queued = await h.press(chat, { data: 'co:ok' });
      assert.match(textOf(queued), /Заказ принят, подтвердим, как только магазин ответит/);
      const rows = await h.db('outbound_deliveries').where({ destination: QUEUED_ORDER_DESTINATION });
      assert.equal(rows.length, 1);
      assert.equal(rows[0].payload.request.paymentType, 'cod');
      assert.equal(rows[0].payload.request.phone, '+79123456789');
      assert.ok(!JSON.stringify(rows[0].payload).includes('eyJ'), 'no shop token in the queue');
      assert.equal(h.shop.orders.filter((o) => o.userId === shopUserId).length, 0);
    } finally {
      h.shop.setFaults({});
    }
    await new Promise((r) => setTimeout(r, 350)); // the breaker's cool-down
    const before = h.tg.botMessages(chat).at(-1)!.message_id;
    const worker = new DeliveryWorker({
      db: h.db,
      deliver: deliverQueuedOrder({ shop: h.ports.shop, users: h.ports.users, notify: (m) => void h.outbox.sendAll(m) }),
      destinations: [QUEUED_ORDER_DESTINATION],
      policy: QUEUED_ORDER_RETRY_POLICY,
      bus: null,
    });
    assert.equal(await worker.runOnce(), 1);
    await h.settle(undefined);
    const orders = h.shop.orders.filter((o) => o.userId === shopUserId);
    assert.equal(orders.length, 1);
    const [confirmed] = h.newMessages(chat, before);
    assert.match(confirmed!.text!, new RegExp(`Магазин снова на связи 🙌\\n\\n✅ Заказ ${orders[0]!.number} оформлен!`));
    assert.equal(await worker.runOnce(), 0, 'delivered once');
    const [row] = await h.db('outbound_deliveries').where({ destination: QUEUED_ORDER_DESTINATION });
    assert.equal(row.state, 'delivered');
  });

  it('tells linked masters about order and return status changes from the shop’s feeds, once', async () => {
    const chat = 200018;
    const { shopUserId } = await h.link(chat);
    const deps = {
      db: h.db,
      source: h.client,
      chatFor: async (id: number) => (await h.auth.vault.findByShopUser(id))?.telegramUserId,
      notify: (m: import('../../src/assistant/types').OutgoingMessage[]) => h.outbox.sendAll(m).then(() => undefined),
    };
    await pollStatusChanges(deps); // a fresh installation starts from now
    await h.say(chat, 'набор отверток');
    await h.press(chat, { data: 'add:11019' });
    await h.say(chat, '/bring');
    await h.say(chat, 'Омск, ул. Ленина, 1');
    await h.say(chat, '+79990001122');
    await h.press(chat, { data: 'co:ok' });
    const order = h.shop.orders.find((o) => o.userId === shopUserId)!;
    const before = h.tg.botMessages(chat).at(-1)!.message_id;
    const quiet = await pollStatusChanges(deps);
    assert.equal(quiet[0]!.notified, 0, 'a new order was just confirmed in the chat: not told again');
    h.shop.advanceOrder(order.number, 'handed_to_courier');
    const [orders] = await pollStatusChanges(deps);
    assert.equal(orders!.notified, 1);
    await h.settle(undefined);
    const [told] = h.newMessages(chat, before);
    assert.match(told!.text!, new RegExp(`🚚 Заказ ${order.number}: передан курьеру \\(\\d\\d:\\d\\d\\)\\.\\nКурьер «Неси» уже в пути, трек NS-\\d+\\. Оплата наличными при получении: 590 ₽\\.`));
    assert.equal((await pollStatusChanges(deps))[0]!.notified, 0, 'each change once');

    h.shop.advanceOrder(order.number, 'delivered');
    const login = await h.link(chat); // the token is refreshed; the shop user stays
    void login;
    const ret = await h.client.createReturn({ orderId: order.number, itemId: order.items[0]!.id, quantity: 1, reason: 'Брак', photos: [], externalId: 'n1' }, { userToken: login.token });
    h.shop.resolveReturn(ret.number, 'accepted', 'Привезите в пункт');
    const [, returns] = await pollStatusChanges(deps);
    assert.equal(returns!.notified, 1);
    await h.settle(undefined);
    assert.match(h.tg.botMessages(chat).at(-1)!.text!, new RegExp(`↩️ Возврат ${ret.number} \\(заказ ${order.number}\\): принят\\.\\nКомментарий менеджера: Привезите в пункт`));
  });

  it('rate-limits a flooding user politely, once per window', async () => {
    const chat = 200016;
    // A second poller on the same bot is not possible (409): handleUpdate directly, with a tight limit.
    h.tg.ensureChat(chat, { firstName: 'Иван' });
    const ports = { ...h.ports, rateLimit: rateLimitPortFrom(h.db, { perMinute: 3 }) };
    const ctx = { ports, store: new PgChatStateStore(h.db), settings: h.settings };
    const answers: string[][] = [];
    for (let i = 0; i < 5; i++) {
      const out = await handleUpdate({ kind: 'text', chatId: chat, userId: chat, text: 'акб redmi 9a' }, ctx);
      answers.push(out.map((m) => m.text ?? ''));
      await h.outbox.sendAll(out);
    }
    assert.ok(answers.slice(0, 3).every((a) => /Аккумулятор BN56/.test(a.join())));
    assert.match(answers[3]!.join(), /^Слишком часто, подождите \d+ сек 🙏$/);
    assert.deepEqual(answers[4], [], 'one notice per window, then silence');
    const press = await handleUpdate({ kind: 'callback', chatId: chat, userId: chat, callbackQueryId: 'x1', data: 'add:10675' }, ctx);
    assert.equal(press.length, 1);
    assert.equal(press[0]!.method, 'answerCallbackQuery');
    assert.match(press[0]!.text!, /Слишком часто, подождите \d+ сек/);
  });

  it('keeps the conversation state per chat in PostgreSQL and forgets expired dialogs', async () => {
    const chat = 200017;
    await h.link(chat);
    await h.say(chat, 'набор отверток');
    await h.press(chat, { data: 'add:11019' });
    await h.say(chat, '/bring');
    const row = await h.db('assistant_chats').where({ chat_id: chat }).first();
    assert.equal(row.telegram_user_id, String(chat));
    assert.equal(row.state.dialog.kind, 'checkout');
    assert.equal(row.state.dialog.step, 'address');
    assert.equal(row.state.lastQuery, 'набор отверток');
    // An hour later the address prompt is forgotten: the text is a search again.
    await h.db('assistant_chats').where({ chat_id: chat }).update({ state: JSON.stringify({ ...row.state, dialog: { ...row.state.dialog, expiresAt: Date.now() - 1 } }) });
    const [search] = await h.say(chat, 'присоска');
    assert.match(search!.text!, /Присоска для снятия дисплея/);
    const after = await h.db('assistant_chats').where({ chat_id: chat }).first();
    assert.equal(after.state.dialog, undefined);
  });
});
