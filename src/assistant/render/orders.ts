import { moscowDate, moscowTime, ORDER_STATUS_ICONS, orderStatusWord, RETURN_STATUS_WORDS, rub } from '../format';
import { callbackData, h, isButtonUrlAllowed, join, type Html } from '../html';
import type { Order, ReturnRequest } from '../ports';
import type { Keyboard } from '../turn';

export interface Rendered {
  readonly text: Html;
  readonly keyboard: Keyboard;
  readonly disableLinkPreview?: boolean;
}

export function deliveryText(order: Pick<Order, 'delivery' | 'trackingNumber' | 'address'>): Html {
  if (order.delivery === 'pickup') return h`самовывоз`;
  const track = order.trackingNumber ? h`, трек ${order.trackingNumber}` : h``;
  return h`курьер «Неси»${track}`;
}

export function paymentText(order: Pick<Order, 'paymentType' | 'paid'>): Html {
  if (order.paymentType === 'cod') return h`наличными курьеру при получении`;
  return order.paid ? h`онлайн, оплачен` : h`онлайн`;
}

/** A payment link: a URL button when Telegram accepts the host, otherwise in the text. */
function paymentLink(order: Order): { line?: Html; keyboard: Keyboard; disableLinkPreview?: boolean } {
  if (order.paymentType !== 'prepaid' || order.paid || !order.paymentUrl) return { keyboard: [] };
  if (isButtonUrlAllowed(order.paymentUrl)) {
    return { line: h`Оплатите заказ по кнопке ниже 👇`, keyboard: [[{ text: `💳 Оплатить ${rub(order.total)}`, url: order.paymentUrl }]] };
  }
  return { line: h`💳 Оплатить ${rub(order.total)}: ${order.paymentUrl}`, keyboard: [], disableLinkPreview: true };
}

export function renderOrderCreated(order: Order): Rendered {
  const pay = paymentLink(order);
  const lines: Html[] = [
    h`✅ Заказ <b>${order.number}</b> оформлен!`,
    h``,
    h`Сумма: <b>${rub(order.total)}</b>`,
    h`Доставка: ${deliveryText(order)}`,
  ];
  if (order.delivery === 'courier' && order.address) lines.push(h`Адрес: ${order.address}`);
  lines.push(h`Оплата: ${paymentText(order)}`);
  if (pay.line) lines.push(h``, pay.line);
  lines.push(h``, h`Статус заказа — /track ${order.number}`);
  const keyboard: Keyboard = [...pay.keyboard, [{ text: '📍 Где заказ', callback_data: callbackData('trk', order.number) }]];
  return { text: join(lines), keyboard, disableLinkPreview: pay.disableLinkPreview };
}

export function renderOrderQueued(): Html {
  return h`🕓 Заказ принят, подтвердим, как только магазин ответит. Номер заказа пришлю сюда — ничего делать не нужно.`;
}

export function renderOrderList(orders: readonly Order[], now: Date): Rendered {
  if (!orders.length) return { text: h`Заказов пока нет. Найдите запчасть — просто напишите, что нужно 🙂`, keyboard: [] };
  const lines: Html[] = [h`📋 <b>Ваши заказы</b>`, h``];
  for (const o of orders) {
    lines.push(h`${ORDER_STATUS_ICONS[o.status] ?? '•'} <b>${o.number}</b> от ${moscowDate(o.createdAt, now)} · ${rub(o.total)} · ${orderStatusWord(o.status, o.delivery)}`);
  }
  const keyboard = orders.slice(0, 8).map((o) => [{ text: `📍 ${o.number}`, callback_data: callbackData('trk', o.number) }]);
  return { text: join(lines), keyboard };
}

export function renderTrack(order: Order, now: Date): Rendered {
  const lines: Html[] = [h`📦 Заказ <b>${order.number}</b> — <b>${orderStatusWord(order.status, order.delivery)}</b>`, h``];
  lines.push(h`Доставка: ${deliveryText(order)}`);
  lines.push(h`Оплата: ${paymentText(order)} · ${rub(order.total)}`);
  if (order.history.length) {
    lines.push(h``, h`История:`);
    for (const step of order.history) lines.push(h`• ${moscowTime(step.at, now)} — ${orderStatusWord(step.status, order.delivery)}`);
  }
  const pay = paymentLink(order);
  if (pay.line) lines.push(h``, pay.line);
  return { text: join(lines), keyboard: pay.keyboard, disableLinkPreview: pay.disableLinkPreview };
}

/** For a notifications flow (order change feed → the master's chat). */
export function renderOrderStatusChanged(order: Order, now: Date = new Date()): Rendered {
  const word = orderStatusWord(order.status, order.delivery);
  const extra =
    order.status === 'handed_to_courier'
      ? h`\nКурьер «Неси» уже в пути${order.trackingNumber ? h`, трек ${order.trackingNumber}` : h``}.${order.paymentType === 'cod' ? h` Оплата наличными при получении: ${rub(order.total)}.` : h``}`
      : order.status === 'delivered'
        ? h`\nСпасибо за заказ! Если что-то не подошло — /return.`
        : h``;
  return {
    text: h`${ORDER_STATUS_ICONS[order.status] ?? '📦'} Заказ <b>${order.number}</b>: ${word} (${moscowTime(order.history.at(-1)?.at ?? order.createdAt, now)}).${extra}`,
    keyboard: [[{ text: '📍 Подробнее', callback_data: callbackData('trk', order.number) }]],
  };
}

export function renderReturnCreated(ret: ReturnRequest): Html {
  return h`✅ Заявка на возврат <b>${ret.number}</b> создана.

Заказ ${ret.orderNumber}: ${ret.name} — ${ret.quantity} шт.
Статус: ${RETURN_STATUS_WORDS[ret.status] ?? ret.status}. Менеджер рассмотрит заявку и напишет сюда; курьер «Неси» заберёт запчасть.`;
}

/** For a notifications flow (return change feed → the master's chat). */
export function renderReturnStatusChanged(ret: ReturnRequest & { comment?: string | null }): Html {
  const word = RETURN_STATUS_WORDS[ret.status] ?? ret.status;
  const comment = ret.comment ? h`\nКомментарий менеджера: ${ret.comment}` : h``;
  return h`↩️ Возврат <b>${ret.number}</b> (заказ ${ret.orderNumber}): ${word}.${comment}`;
}
