import { h } from '../html';
import { portErrorCode, type Order } from '../ports';
import { renderOrderList, renderTrack } from '../render/orders';
import type { Turn } from '../turn';

const OPEN = new Set(['new', 'confirmed', 'assembling', 'handed_to_courier']);

/** "Z-000123", "z000123", "#123", "123" → "Z-000123"; "NS-000123" is a tracking number. */
export function orderRefFrom(text: string): { number?: string; tracking?: string } {
  const tracking = /\bNS-?(\d{1,9})\b/i.exec(text);
  if (tracking) return { tracking: `NS-${tracking[1]!.padStart(6, '0')}` };
  const m = /(?:^|[^\p{L}\d])(?:[zз]-?|№\s?|#)?(\d{1,9})(?![\d])/iu.exec(text);
  const explicit = /\b[ZЗ]-?(\d{1,9})\b/iu.exec(text);
  const digits = explicit?.[1] ?? m?.[1];
  return digits ? { number: `Z-${digits.padStart(6, '0')}` } : {};
}

/** /myorders. */
export async function myOrders(turn: Turn): Promise<void> {
  const token = await turn.token();
  if (!token) return;
  let orders: Order[];
  try {
    orders = await turn.ctx.ports.shop.listOrders(token, { limit: 10 });
  } catch (error) {
    if (turn.shopFailed(error, 'orders')) return;
    throw error;
  }
  turn.answer();
  const view = renderOrderList(orders, turn.now());
  turn.send(view.text, { keyboard: view.keyboard });
}

/** /track [номер], «где мой заказ», the «📍» buttons (trk:<number>). */
export async function track(turn: Turn, text: string): Promise<void> {
  const token = await turn.token();
  if (!token) return;
  const ref = orderRefFrom(text);
  const shop = turn.ctx.ports.shop;
  try {
    let order: Order | undefined;
    if (ref.number) {
      try {
        order = await shop.getOrder(token, ref.number);
      } catch (error) {
        if (portErrorCode(error) !== 'ORDER_NOT_FOUND') throw error;
        turn.answer('Заказ не найден');
        turn.send(h`Не нашёл заказ ${ref.number} среди ваших 🤔 Список заказов — /myorders.`);
        return;
      }
    } else {
      const orders = await shop.listOrders(token, { limit: 20 });
      if (ref.tracking) order = orders.find((o) => o.trackingNumber === ref.tracking);
      else {
        const open = orders.filter((o) => OPEN.has(o.status));
        if (open.length > 1) {
          turn.answer();
          const view = renderOrderList(open, turn.now());
          turn.send(h`У вас ${open.length} заказа в работе — какой показать?\n\n${view.text}`, { keyboard: view.keyboard });
          return;
        }
        order = open[0] ?? orders[0];
      }
      if (!order) {
        turn.answer();
        turn.send(ref.tracking ? h`Не нашёл заказ с треком ${ref.tracking} 🤔 Список заказов — /myorders.` : h`Заказов пока нет. Найдите запчасть — просто напишите, что нужно 🙂`);
        return;
      }
    }
    turn.answer();
    const view = renderTrack(order, turn.now());
    turn.send(view.text, { keyboard: view.keyboard, disableLinkPreview: view.disableLinkPreview });
  } catch (error) {
    if (turn.shopFailed(error, 'track')) return;
    throw error;
  }
}
