import { rub } from '../format';
import { callbackData, h, join, type Html } from '../html';
import { portErrorCode, portErrorKind, type Cart, type CreateOrderRequest } from '../ports';
import { cartLines } from '../render/cart';
import { renderOrderCreated, renderOrderQueued } from '../render/orders';
import type { CheckoutDialog } from '../state-store';
import { T } from '../texts';
import type { Turn } from '../turn';

const CANCEL = { text: '✖️ Отмена', callback_data: callbackData('co', 'cancel') };

/** The order's idempotency key: one per checkout dialog, so a double «Подтвердить» never orders twice. */
export function orderExternalId(chatId: number, dialogId: string): string {
  return `tg${chatId}-${dialogId}`;
}

function dialogOf(turn: Turn): CheckoutDialog | undefined {
  const d = turn.state.dialog;
  return d?.kind === 'checkout' ? d : undefined;
}

/** The cart, or null when the shop is down (checkout goes on: the order will be queued). */
async function cartOrNull(turn: Turn, token: string): Promise<Cart | null | 'stop'> {
  try {
    return await turn.ctx.ports.shop.cart(token);
  } catch (error) {
    if (portErrorKind(error) === 'unavailable') return null;
    if (turn.shopFailed(error, 'cart')) return 'stop';
    throw error;
  }
}

/** «Оформить», /order (prepaid) and /bring (cash to the courier «Неси»). */
export async function startCheckout(turn: Turn, preset?: 'order' | 'bring'): Promise<void> {
  const token = await turn.token();
  if (!token) return;
  const cart = await cartOrNull(turn, token);
  if (cart === 'stop') return;
  if (cart && !cart.lines.length) {
    turn.answer('Корзина пуста');
    turn.send(h`🛒 Корзина пуста — сначала добавьте запчасти. Напишите, что ищете, например: <i>дисплей iPhone 11</i>.`);
    return;
  }
  turn.answer();
  const dialog: CheckoutDialog = { kind: 'checkout', id: turn.newId(), step: 'delivery', preset, expiresAt: turn.now().getTime() + turn.settings.dialogTtlMs };
  if (preset === 'bring') {
    dialog.delivery = 'courier';
    dialog.payment = 'cod';
  } else if (preset === 'order') {
    dialog.payment = 'prepaid';
  }
  dialog.step = nextStep(dialog);
  turn.state.dialog = dialog;
  const intro =
    preset === 'bring'
      ? h`📦 Заказ курьером «Неси», оплата наличными при получении.`
      : preset === 'order'
        ? h`💳 Заказ с онлайн-оплатой.`
        : h`✅ Оформляем заказ.`;
  const total = cart ? h` В корзине ${cart.quantity} шт на ${rub(cart.total)}.` : h` Магазин сейчас не отвечает — заказ примем и подтвердим, как только он ответит.`;
  await ask(turn, dialog, h`${intro}${total}`);
}

function nextStep(d: CheckoutDialog): CheckoutDialog['step'] {
  if (!d.delivery) return 'delivery';
  if (!d.payment) return 'payment';
  if (d.delivery === 'courier' && !d.address) return 'address';
  if (d.delivery === 'courier' && !d.phone) return 'phone';
  return 'confirm';
}

async function ask(turn: Turn, d: CheckoutDialog, lead?: Html): Promise<void> {
  const prefix = lead ? h`${lead}\n\n` : h``;
  switch (d.step) {
    case 'delivery':
      turn.send(h`${prefix}Как доставить?`, {
        keyboard: [[{ text: '🚚 Курьер «Неси»', callback_data: callbackData('co', 'dlv', 'courier') }, { text: '🏪 Самовывоз', callback_data: callbackData('co', 'dlv', 'pickup') }], [CANCEL]],
      });
      return;
    case 'payment':
      turn.send(h`${prefix}Как оплатите?`, {
        keyboard: [[{ text: '💳 Оплатить онлайн', callback_data: callbackData('co', 'pay', 'prepaid') }, { text: '💵 Наличными курьеру', callback_data: callbackData('co', 'pay', 'cod') }], [CANCEL]],
      });
      return;
    case 'address':
      turn.send(h`${prefix}Напишите адрес доставки: город, улица, дом, квартира или офис. Можно добавить комментарий для курьера.`, { keyboard: [[CANCEL]] });
      return;
    case 'phone':
      turn.send(h`${prefix}Телефон для курьера? Нажмите «📱 Отправить номер» или напишите его, например +7 912 345-67-89.`, {
        replyMarkup: { keyboard: [[{ text: '📱 Отправить номер', request_contact: true }]], resize_keyboard: true, one_time_keyboard: true },
      });
      return;
    case 'confirm':
      await confirmation(turn, d, prefix);
      return;
  }
}

async function confirmation(turn: Turn, d: CheckoutDialog, prefix: Html): Promise<void> {
  const token = (await turn.user()).shopToken;
  const cart = token ? await cartOrNull(turn, token) : null;
  if (cart === 'stop') return;
  const lines: Html[] = [h`${prefix}Проверьте заказ:`, h``];
  if (cart && cart.lines.length) lines.push(cartLines(cart), h`Итого: <b>${rub(cart.total)}</b>`, h``);
  lines.push(h`Доставка: ${d.delivery === 'courier' ? 'курьер «Неси»' : 'самовывоз'}`);
  if (d.delivery === 'courier') lines.push(h`Адрес: ${d.address ?? ''}`, h`Телефон: ${d.phone ?? ''}`);
  lines.push(h`Оплата: ${d.payment === 'cod' ? 'наличными курьеру' : 'онлайн, ссылку пришлю после подтверждения'}`);
  turn.send(join(lines), { keyboard: [[{ text: '✅ Подтвердить заказ', callback_data: callbackData('co', 'ok') }], [CANCEL]] });
}

/** Buttons of the checkout dialog: co:start | co:cancel | co:dlv:<x> | co:pay:<x> | co:ok. */
export async function checkoutCallback(turn: Turn, action: string, arg: string | undefined): Promise<void> {
  if (action === 'start') {
    await startCheckout(turn);
    return;
  }
  const d = dialogOf(turn);
  if (action === 'cancel') {
    turn.state.dialog = d ? undefined : turn.state.dialog;
    turn.answer('Оформление отменено');
    turn.edit(h`Оформление отменено. Корзина сохранена — /cart.`);
    if (d?.step === 'phone') turn.send(h`Хорошо 🙂`, { replyMarkup: { remove_keyboard: true } });
    return;
  }
  if (!d) {
    turn.answer('Кнопка устарела');
    turn.send(action === 'ok' ? h`Это оформление уже завершено или устарело. Ваши заказы — /myorders, корзина — /cart.` : T.stale);
    return;
  }
  if (action === 'dlv' && (arg === 'courier' || arg === 'pickup')) {
    d.delivery = arg;
    // Cash only to the courier «Неси»: pickup is paid online.
    if (arg === 'pickup') d.payment = 'prepaid';
    d.step = nextStep(d);
    turn.answer(arg === 'courier' ? 'Курьер «Неси»' : 'Самовывоз');
    turn.edit(h`Доставка: ${arg === 'courier' ? 'курьер «Неси»' : 'самовывоз'} ✅`);
    await ask(turn, d, arg === 'pickup' ? h`Самовывоз оплачивается онлайн.` : undefined);
    return;
  }
  if (action === 'pay' && (arg === 'prepaid' || arg === 'cod')) {
    if (arg === 'cod' && d.delivery !== 'courier') {
      turn.answer('Наличными можно заплатить только курьеру «Неси»', true);
      return;
    }
    d.payment = arg;
    d.step = nextStep(d);
    turn.answer(arg === 'cod' ? 'Наличными курьеру' : 'Онлайн');
    turn.edit(h`Оплата: ${arg === 'cod' ? 'наличными курьеру' : 'онлайн'} ✅`);
    await ask(turn, d);
    return;
  }
  if (action === 'ok') {
    if (d.step !== 'confirm') {
      turn.answer('Сначала ответьте на вопрос выше');
      return;
    }
    await placeOrder(turn, d);
    return;
  }
  turn.answer('Кнопка устарела');
}

const PHONE_CHARS = /^\+?[\d\s()\-.]{10,24}$/;

export function normalizePhone(text: string): string | undefined {
  const t = text.trim();
  if (!PHONE_CHARS.test(t)) return undefined;
  const digits = t.replace(/\D/g, '');
  if (digits.length < 10 || digits.length > 15) return undefined;
  return t.startsWith('+') ? `+${digits}` : digits.length === 11 && digits.startsWith('8') ? `+7${digits.slice(1)}` : digits.length === 10 ? `+7${digits}` : `+${digits}`;
}

/** Text while the dialog waits for an address or a phone; returns false when the text is not for the dialog. */
export async function checkoutText(turn: Turn, text: string): Promise<boolean> {
  const d = dialogOf(turn);
  if (!d) return false;
  if (d.step === 'address') {
    const address = text.replace(/\s+/g, ' ').trim();
    if (address.length < 5) {
      turn.send(h`Адрес получился слишком коротким 🙏 Напишите город, улицу, дом и квартиру.`, { keyboard: [[CANCEL]] });
      return true;
    }
    d.address = address.slice(0, 300);
    d.step = nextStep(d);
    await ask(turn, d, h`Адрес записал ✅`);
    return true;
  }
  if (d.step === 'phone') {
    const phone = normalizePhone(text);
    if (!phone) {
      turn.send(h`Не похоже на номер телефона 🤔 Напишите, например, +7 912 345-67-89 — или нажмите «📱 Отправить номер».`);
      return true;
    }
    await setPhone(turn, d, phone);
    return true;
  }
  return false;
}

async function setPhone(turn: Turn, d: CheckoutDialog, phone: string): Promise<void> {
  d.phone = phone;
  d.step = nextStep(d);
  // The reply keyboard («Отправить номер») is removed by a message of its own: a message has one markup.
  turn.send(h`Номер записал ✅`, { replyMarkup: { remove_keyboard: true } });
  await ask(turn, d);
}

export async function checkoutContact(turn: Turn, phoneNumber: string): Promise<boolean> {
  const d = dialogOf(turn);
  if (!d || d.step !== 'phone') return false;
  const phone = normalizePhone(phoneNumber.startsWith('+') ? phoneNumber : `+${phoneNumber}`);
  if (!phone) {
    turn.send(h`Не получилось прочитать номер — напишите его текстом, пожалуйста.`);
    return true;
  }
  await setPhone(turn, d, phone);
  return true;
}

export async function checkoutLocation(turn: Turn, latitude: number, longitude: number): Promise<boolean> {
  const d = dialogOf(turn);
  if (!d || d.step !== 'address') return false;
  d.address = `геопозиция ${latitude.toFixed(6)}, ${longitude.toFixed(6)}`;
  d.step = nextStep(d);
  await ask(turn, d, h`Геопозицию записал ✅ Курьер позвонит уточнить подъезд и квартиру.`);
  return true;
}

async function placeOrder(turn: Turn, d: CheckoutDialog): Promise<void> {
  const token = await turn.token();
  if (!token) return;
  const request: CreateOrderRequest = {
    paymentType: d.payment ?? 'prepaid',
    delivery: d.delivery ?? 'pickup',
    ...(d.delivery === 'courier' ? { address: d.address, phone: d.phone } : {}),
    comment: 'Заказ из Telegram-бота «Ассистент мастера»',
    externalId: orderExternalId(turn.chatId, d.id),
  };
  try {
    const order = await turn.ctx.ports.shop.createOrder(token, request);
    turn.state.dialog = undefined;
    turn.answer('Заказ оформлен ✅');
    turn.edit(h`Заказ подтверждён ✅`);
    const view = renderOrderCreated(order);
    turn.send(view.text, { keyboard: view.keyboard, disableLinkPreview: view.disableLinkPreview });
    return;
  } catch (error) {
    const kind = portErrorKind(error);
    if (kind === 'unavailable') {
      const queue = turn.ctx.ports.queueOrder;
      const userId = turn.userId;
      if (queue && userId !== undefined) {
        await queue({ telegramUserId: userId, chatId: turn.chatId, request, correlationId: turn.update.correlationId });
        turn.state.dialog = undefined;
        turn.answer('Заказ принят');
        turn.edit(h`Заказ принят 🕓`);
        turn.send(renderOrderQueued());
        return;
      }
      turn.answer('Магазин не отвечает');
      turn.send(h`Магазин сейчас не отвечает 😔 Нажмите «Подтвердить заказ» ещё раз через пару минут — повторного заказа не будет.`);
      return;
    }
    if (turn.shopFailed(error, 'order')) return;
    const code = portErrorCode(error);
    turn.answer('Заказ не оформлен', false);
    if (code === 'EMPTY_BASKET') {
      turn.state.dialog = undefined;
      turn.send(h`Корзина пуста — заказ не оформлен. Добавьте запчасти и попробуйте снова.`);
    } else if (code === 'OUT_OF_STOCK' || code === 'PRODUCT_NOT_AVAILABLE') {
      turn.state.dialog = undefined;
      turn.send(h`Часть запчастей из корзины закончилась 😔 Проверьте корзину — /cart — и оформите снова.`, {
        keyboard: [[{ text: '🛒 Корзина', callback_data: callbackData('cart', 'show') }]],
      });
    } else if (code === 'ADDRESS_REQUIRED') {
      d.address = undefined;
      d.step = nextStep(d);
      await ask(turn, d, h`Магазину нужен адрес доставки.`);
    } else if (code === 'PAYMENT_TYPE_NOT_ALLOWED') {
      d.payment = undefined;
      d.step = nextStep(d);
      await ask(turn, d, h`Наличными можно заплатить только курьеру «Неси».`);
    } else if (code === 'INVALID_ARGUMENT' && d.delivery === 'courier') {
      d.phone = undefined;
      d.step = nextStep(d);
      await ask(turn, d, h`Магазин не принял телефон — проверьте номер, пожалуйста.`);
    } else {
      turn.state.dialog = undefined;
      turn.send(h`Магазин не принял заказ 😔 Попробуйте ещё раз или напишите менеджеру.`);
    }
  }
}
