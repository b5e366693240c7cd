import { rub } from '../format';
import { callbackData, h } from '../html';
import { portErrorCode, type Cart } from '../ports';
import { cartSummary, renderCart } from '../render/cart';
import type { Turn } from '../turn';

export const CART_BUTTONS = [[{ text: '🛒 Корзина', callback_data: callbackData('cart', 'show') }, { text: '✅ Оформить', callback_data: callbackData('co', 'start') }]];

/** /cart, «корзина», the «Корзина» button. */
export async function showCart(turn: Turn, options: { edit?: boolean } = {}): Promise<void> {
  const token = await turn.token();
  if (!token) return;
  let cart: Cart;
  try {
    cart = await turn.ctx.ports.shop.cart(token);
  } catch (error) {
    if (turn.shopFailed(error, 'cart')) return;
    throw error;
  }
  turn.answer();
  const view = renderCart(cart);
  if (options.edit) turn.edit(view.text, view.keyboard);
  else turn.send(view.text, { keyboard: view.keyboard });
}

/** «🛒 В корзину» (add:<id>). */
export async function addToCart(turn: Turn, idText: string): Promise<void> {
  const productId = Number(idText);
  if (!Number.isSafeInteger(productId) || productId <= 0) {
    turn.answer('Кнопка устарела');
    return;
  }
  const token = await turn.token();
  if (!token) return;
  let cart: Cart;
  try {
    cart = await turn.ctx.ports.shop.addToCart(token, productId, 1);
  } catch (error) {
    if (turn.shopFailed(error, 'add to cart')) return;
    const code = portErrorCode(error);
    if (code === 'OUT_OF_STOCK') turn.answer('Больше нет в наличии — в корзине уже всё, что есть', true);
    else if (code === 'PRODUCT_NOT_AVAILABLE' || code === 'PRODUCT_NOT_FOUND') turn.answer('Этот товар больше не продаётся', true);
    else turn.answer('Не получилось добавить, попробуйте ещё раз', true);
    return;
  }
  const line = cart.lines.find((l) => l.productId === productId);
  turn.answer('Добавлено в корзину ✅');
  turn.send(h`🛒 Добавил${line ? h`: <b>${line.name}</b> (${line.quantity} шт, ${rub(line.price)})` : h``}.\n${cartSummary(cart)}`, { keyboard: CART_BUTTONS });
}

/** ➖ ➕ 🗑 on the cart message (cart:inc|dec|del:<lineId>): the cart message is edited in place. */
export async function changeCart(turn: Turn, action: string, lineText: string): Promise<void> {
  if (action === 'show') {
    await showCart(turn);
    return;
  }
  const lineId = Number(lineText);
  const token = await turn.token();
  if (!token) return;
  const shop = turn.ctx.ports.shop;
  try {
    const current = await shop.cart(token);
    const line = current.lines.find((l) => l.id === lineId);
    if (!line) {
      turn.answer('Этой позиции уже нет в корзине');
      const view = renderCart(current);
      turn.edit(view.text, view.keyboard);
      return;
    }
    let cart: Cart;
    if (action === 'del' || (action === 'dec' && line.quantity <= 1)) {
      cart = await shop.removeFromCart(token, lineId);
      turn.answer('Убрал из корзины');
    } else if (action === 'inc') {
      cart = await shop.setCartQuantity(token, lineId, line.quantity + 1);
      turn.answer(`Теперь ${line.quantity + 1} шт`);
    } else if (action === 'dec') {
      cart = await shop.setCartQuantity(token, lineId, line.quantity - 1);
      turn.answer(`Теперь ${line.quantity - 1} шт`);
    } else {
      turn.answer('Кнопка устарела');
      return;
    }
    const view = renderCart(cart);
    turn.edit(view.text, view.keyboard);
  } catch (error) {
    if (turn.shopFailed(error, 'cart change')) return;
    if (portErrorCode(error) === 'OUT_OF_STOCK') turn.answer('Больше нет в наличии', true);
    else turn.answer('Не получилось изменить корзину', true);
  }
}
