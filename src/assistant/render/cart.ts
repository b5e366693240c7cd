import { rub } from '../format';
import { callbackData, h, join, type Html } from '../html';
import type { Cart } from '../ports';
import type { Keyboard } from '../turn';

export function cartSummary(cart: Cart): Html {
  return h`Итого: <b>${rub(cart.total)}</b> · ${cart.quantity} шт`;
}

export function renderCart(cart: Cart): { text: Html; keyboard: Keyboard } {
  if (!cart.lines.length) {
    return { text: h`🛒 Корзина пуста. Напишите, что ищете, — подберу запчасть.`, keyboard: [] };
  }
  const lines: Html[] = [h`🛒 <b>Корзина</b>`, h``];
  cart.lines.forEach((l, i) => {
    const warn = l.available < l.quantity ? h`\n    ⚠️ в наличии только ${l.available} шт` : h``;
    lines.push(h`${i + 1}. ${l.name}\n    ${l.quantity} × ${rub(l.price)} = ${rub(l.sum)}${warn}`);
  });
  lines.push(h``, cartSummary(cart));
  const keyboard = cart.lines.map((l, i) => [
    { text: `➖ ${i + 1}`, callback_data: callbackData('cart', 'dec', l.id) },
    { text: `➕ ${i + 1}`, callback_data: callbackData('cart', 'inc', l.id) },
    { text: `🗑 ${i + 1}`, callback_data: callbackData('cart', 'del', l.id) },
  ]);
  keyboard.push([{ text: '✅ Оформить', callback_data: callbackData('co', 'start') }]);
  return { text: join(lines), keyboard };
}

/** The lines of the cart in a checkout summary. */
export function cartLines(cart: Cart): Html {
  return join(cart.lines.map((l) => h`• ${l.name} — ${l.quantity} шт, ${rub(l.sum)}`));
}
