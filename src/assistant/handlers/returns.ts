import { moscowDate, rub } from '../format';
import { callbackData, h, shortLabel } from '../html';
import { portErrorCode, portErrorKind, type Order } from '../ports';
import { renderReturnCreated } from '../render/orders';
import type { ReturnDialog } from '../state-store';
import { T } from '../texts';
import type { Turn } from '../turn';

export const RETURN_REASONS: Readonly<Record<string, string>> = {
  defect: 'Брак',
  wrong: 'Не подошла',
  damaged: 'Повреждена при доставке',
  other: 'Другое',
};

const CANCEL = { text: '✖️ Отмена', callback_data: callbackData('rt', 'cancel') };
const DONE = { text: '✅ Готово', callback_data: callbackData('rt', 'done') };

export function returnExternalId(chatId: number, dialogId: string): string {
  return `tg${chatId}-rt-${dialogId}`;
}

function dialogOf(turn: Turn): ReturnDialog | undefined {
  const d = turn.state.dialog;
  return d?.kind === 'return' ? d : undefined;
}

/** /return: pick a delivered order. */
export async function startReturn(turn: Turn): Promise<void> {
  const token = await turn.token();
  if (!token) return;
  let orders: Order[];
  try {
    orders = (await turn.ctx.ports.shop.listOrders(token, { limit: 20 })).filter((o) => o.status === 'delivered');
  } catch (error) {
    if (turn.shopFailed(error, 'return')) return;
    throw error;
  }
  turn.answer();
  if (!orders.length) {
    turn.send(h`Возврат оформляется по доставленным заказам, а их пока нет 🙂 Статус заказов — /myorders.`);
    return;
  }
  turn.state.dialog = { kind: 'return', id: turn.newId(), step: 'order', photos: [], expiresAt: turn.now().getTime() + turn.settings.dialogTtlMs };
  const now = turn.now();
  turn.send(h`↩️ Возврат. По какому заказу?`, {
    keyboard: [
      ...orders.slice(0, 8).map((o) => [{ text: `${o.number} от ${moscowDate(o.createdAt, now)} · ${rub(o.total)}`, callback_data: callbackData('rt', 'o', o.number) }]),
      [CANCEL],
    ],
  });
}

/** rt:o:<number> | rt:l:<itemId> | rt:q:<n> | rt:r:<reason> | rt:done | rt:cancel. */
export async function returnCallback(turn: Turn, action: string, arg: string | undefined): Promise<void> {
  const d = dialogOf(turn);
  if (action === 'cancel') {
    turn.state.dialog = d ? undefined : turn.state.dialog;
    turn.answer('Возврат отменён');
    turn.edit(h`Возврат отменён.`);
    return;
  }
  if (!d) {
    turn.answer('Кнопка устарела');
    turn.send(action === 'done' ? h`Эта заявка уже отправлена или устарела. Новый возврат — /return.` : T.stale);
    return;
  }
  const token = await turn.token();
  if (!token) return;
  try {
    if (action === 'o' && arg) {
      const order = await turn.ctx.ports.shop.getOrder(token, arg);
      if (order.status !== 'delivered') {
        turn.answer('Возврат возможен только по доставленному заказу', true);
        return;
      }
      d.orderId = order.id;
      d.orderNumber = order.number;
      d.step = 'line';
      turn.answer();
      turn.edit(h`Заказ ${order.number} ✅`);
      turn.send(h`Какую позицию возвращаем?`, {
        keyboard: [...order.lines.map((l) => [{ text: shortLabel(`${l.name} × ${l.quantity}`, 48), callback_data: callbackData('rt', 'l', l.id) }]), [CANCEL]],
      });
      return;
    }
    if (action === 'l' && arg && d.orderNumber) {
      const order = await turn.ctx.ports.shop.getOrder(token, d.orderNumber);
      const line = order.lines.find((l) => l.id === Number(arg));
      if (!line) {
        turn.answer('Такой позиции нет в заказе');
        return;
      }
      d.itemId = line.id;
      d.itemName = line.name;
      d.maxQuantity = line.quantity;
      turn.answer();
      turn.edit(h`Позиция: ${line.name} ✅`);
      if (line.quantity > 1) {
        d.step = 'quantity';
        const options = Array.from({ length: Math.min(line.quantity, 5) }, (_, i) => ({ text: String(i + 1), callback_data: callbackData('rt', 'q', i + 1) }));
        turn.send(h`Сколько штук возвращаем? (в заказе ${line.quantity})`, { keyboard: [options, [CANCEL]] });
      } else {
        d.quantity = 1;
        askReason(turn, d);
      }
      return;
    }
  } catch (error) {
    if (turn.shopFailed(error, 'return')) return;
    turn.answer('Заказ не найден', true);
    return;
  }
  if (action === 'q' && d.step === 'quantity') {
    const n = Number(arg);
    if (!Number.isSafeInteger(n) || n < 1 || n > (d.maxQuantity ?? 1)) {
      turn.answer('Кнопка устарела');
      return;
    }
    d.quantity = n;
    turn.answer();
    turn.edit(h`Количество: ${n} шт ✅`);
    askReason(turn, d);
    return;
  }
  if (action === 'r' && d.step === 'reason' && arg && RETURN_REASONS[arg]) {
    turn.answer();
    turn.edit(h`Причина: ${RETURN_REASONS[arg]} ✅`);
    if (arg === 'other') {
      d.step = 'reason_text';
      turn.send(h`Опишите коротко, что не так с запчастью.`, { keyboard: [[CANCEL]] });
      return;
    }
    d.reason = RETURN_REASONS[arg];
    askPhotos(turn, d);
    return;
  }
  if (action === 'done' && d.step === 'photos') {
    if (!d.photos.length) {
      turn.answer('Пришлите хотя бы одно фото', true);
      return;
    }
    await createReturn(turn, d, token);
    return;
  }
  turn.answer('Кнопка устарела');
}

function askReason(turn: Turn, d: ReturnDialog): void {
  d.step = 'reason';
  const b = (code: string) => ({ text: RETURN_REASONS[code]!, callback_data: callbackData('rt', 'r', code) });
  turn.send(h`Причина возврата?`, { keyboard: [[b('defect'), b('wrong')], [b('damaged'), b('other')], [CANCEL]] });
}

function askPhotos(turn: Turn, d: ReturnDialog): void {
  d.step = 'photos';
  turn.send(h`📷 Пришлите фото запчасти (от 1 до ${turn.settings.maxReturnPhotos}): видно дефект и маркировку. Когда закончите — нажмите «Готово».`, { keyboard: [[CANCEL]] });
}

/** Text while the return waits for a reason in words. */
export async function returnText(turn: Turn, text: string): Promise<boolean> {
  const d = dialogOf(turn);
  if (!d) return false;
  if (d.step === 'reason_text') {
    const reason = text.replace(/\s+/g, ' ').trim();
    if (reason.length < 3) {
      turn.send(h`Напишите чуть подробнее, пожалуйста 🙏`);
      return true;
    }
    d.reason = reason.slice(0, 300);
    askPhotos(turn, d);
    return true;
  }
  if (d.step === 'photos') {
    turn.send(h`Жду фото 📷 — пришлите их как фотографии, затем нажмите «Готово».`, { keyboard: [[DONE], [CANCEL]] });
    return true;
  }
  return false;
}

/** A photo while the return waits for photos. */
export async function returnPhoto(turn: Turn, fileId: string): Promise<boolean> {
  const d = dialogOf(turn);
  if (!d || d.step !== 'photos') return false;
  const max = turn.settings.maxReturnPhotos;
  if (d.photos.length >= max) {
    turn.send(h`Фото уже достаточно (${max}) — нажмите «Готово».`, { keyboard: [[DONE], [CANCEL]] });
    return true;
  }
  if (!d.photos.includes(fileId)) d.photos.push(fileId);
  const more = d.photos.length < max ? h` Можно прислать ещё или нажать «Готово».` : h` Это максимум — нажмите «Готово».`;
  turn.send(h`Фото ${d.photos.length} из ${max} получено ✅${more}`, { keyboard: [[DONE], [CANCEL]] });
  return true;
}

async function createReturn(turn: Turn, d: ReturnDialog, token: string): Promise<void> {
  const toUrl = turn.ctx.ports.photoUrl;
  if (!toUrl) {
    turn.answer();
    turn.send(h`Приём фото для возвратов сейчас не настроен 😔 Напишите, пожалуйста, менеджеру.`);
    return;
  }
  const photos = await Promise.all(d.photos.map((id) => toUrl(id)));
  try {
    const ret = await turn.ctx.ports.shop.createReturn(token, {
      orderId: d.orderId ?? d.orderNumber ?? '',
      itemId: d.itemId ?? 0,
      quantity: d.quantity ?? 1,
      reason: d.reason ?? RETURN_REASONS.other!,
      photos,
      externalId: returnExternalId(turn.chatId, d.id),
    });
    turn.state.dialog = undefined;
    turn.answer('Заявка создана ✅');
    turn.edit(h`Фото отправлены ✅`);
    turn.send(renderReturnCreated(ret));
  } catch (error) {
    if (portErrorKind(error) === 'unavailable') {
      turn.answer('Магазин не отвечает');
      turn.send(h`Магазин сейчас не отвечает 😔 Фото сохранены — нажмите «Готово» ещё раз через пару минут.`, { keyboard: [[DONE], [CANCEL]] });
      return;
    }
    if (turn.shopFailed(error, 'return')) return;
    const code = portErrorCode(error);
    turn.state.dialog = undefined;
    turn.answer('Заявка не создана');
    if (code === 'RETURN_ALREADY_EXISTS') turn.send(h`По этой позиции уже есть открытая заявка на возврат — менеджер её рассматривает 🙂`);
    else if (code === 'RETURN_QUANTITY_EXCEEDED') turn.send(h`Эта позиция уже возвращена полностью.`);
    else if (code === 'ORDER_NOT_DELIVERED') turn.send(h`Возврат возможен только по доставленному заказу.`);
    else turn.send(h`Магазин не принял заявку 😔 Напишите, пожалуйста, менеджеру.`);
  }
}
