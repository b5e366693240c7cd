import { rub } from '../format';
import { callbackData, h, join, type Html } from '../html';
import { portErrorCode, portErrorKind, type Cart, type CatalogItem, type Kit } from '../ports';
import { cartSummary } from '../render/cart';
import { T } from '../texts';
import type { Turn } from '../turn';
import { CART_BUTTONS } from './cart';

const MAX_QUESTION = 300;

export function kitButton(topic: string, model?: string): { text: string; callback_data: string } {
  return { text: '🧰 Заказать комплект', callback_data: model ? callbackData('kit', topic, model) : callbackData('kit', topic) };
}

/** /howto <вопрос>, «как поменять …»: short steps and always «Заказать комплект». */
export async function howto(turn: Turn, question: string): Promise<void> {
  const port = turn.ctx.ports.howto;
  const q = question.replace(/\s+/g, ' ').trim().slice(0, MAX_QUESTION);
  if (!port) {
    turn.send(h`Советы по ремонту сейчас недоступны 😔 Запчасти можно найти как обычно — напишите, что нужно.`);
    return;
  }
  if (!q) {
    turn.send(h`Напишите, что нужно отремонтировать, например: <i>/howto замена дисплея iPhone 11</i> или <i>как поменять акб на Redmi 9A</i>.`);
    return;
  }
  turn.typing();
  const answer = await port.answer(q, { correlationId: turn.update.correlationId });
  const model = answer.model && !answer.title.toLowerCase().includes(answer.model.toLowerCase()) ? h` — ${answer.model}` : h``;
  const lines: Html[] = [h`🔧 <b>${answer.title}</b>${model}`, h``];
  answer.steps.forEach((s, i) => lines.push(h`${i + 1}. ${s}`));
  if (answer.safety.length) lines.push(h``, h`⚠️ ${answer.safety.join(' ')}`);
  lines.push(h``, h`🧰 Комплект: ${answer.kit.title}.`);
  if (answer.source === 'llm') lines.push(h``, h`<i>Совет подготовлен автоматически — сверяйтесь с особенностями вашей модели.</i>`);
  turn.send(join(lines), { keyboard: [[kitButton(answer.topic, answer.kit.model)]] });
}

/** «Заказать комплект» (kit:<topic>[:<model>]). */
export async function kitCallback(turn: Turn, topic: string, model: string | undefined): Promise<void> {
  const port = turn.ctx.ports.howto;
  const token = await turn.token();
  if (!token) return;
  const kit = port ? await port.kit(topic, model) : undefined;
  if (!kit) {
    turn.answer('Кнопка устарела');
    turn.send(T.stale);
    return;
  }
  if (kit.needsModel) {
    turn.answer();
    turn.state.dialog = { kind: 'kit', topic, expiresAt: turn.now().getTime() + turn.settings.dialogTtlMs };
    const last = turn.state.lastModel;
    turn.send(h`Для какой модели собрать комплект? Напишите модель, например: <i>iPhone 11</i> или <i>Redmi 9A</i>.`, {
      keyboard: last ? [[{ text: `Для ${last}`, callback_data: callbackData('kit', topic, last) }]] : [],
    });
    return;
  }
  turn.answer('Собираю комплект…');
  await addKit(turn, kit, token);
}

/** The model typed after «Для какой модели собрать комплект?». */
export async function kitText(turn: Turn, text: string): Promise<boolean> {
  const d = turn.state.dialog;
  if (d?.kind !== 'kit') return false;
  turn.state.dialog = undefined;
  const port = turn.ctx.ports.howto;
  const token = await turn.token();
  if (!token || !port) return true;
  const kit = await port.kit(d.topic, text.trim().slice(0, 60));
  if (!kit || kit.needsModel) {
    turn.send(T.stale);
    return true;
  }
  await addKit(turn, kit, token);
  return true;
}

function norm(text: string): string {
  return text.toLowerCase().replace(/ё/g, 'е').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** The best match of a kit query: the first hit in stock (the engine ranks by relevance, in stock first). */
async function best(turn: Turn, query: string): Promise<CatalogItem | undefined> {
  const result = await turn.ctx.ports.catalog.search(query, { limit: 5 });
  return result.items.find((i) => i.stockTotal > 0);
}

/** Searches each query of the kit and puts the best match for the model into the cart. */
export async function addKit(turn: Turn, kit: Kit, token: string): Promise<void> {
  turn.typing();
  const picks: { query: string; item: CatalogItem }[] = [];
  const missing: string[] = [];
  let queries = [...kit.queries];
  if (kit.bundle) {
    const bundle = await best(turn, kit.bundle);
    // Only a real kit product replaces the parts (and the tools named in it).
    if (bundle && norm(bundle.name).includes('комплект')) {
      picks.push({ query: kit.bundle, item: bundle });
      const name = norm(bundle.name);
      queries = kit.tools.filter((t) => !name.includes(norm(t)));
    }
  }
  for (const q of queries) {
    const item = await best(turn, q);
    if (item && !picks.some((p) => p.item.id === item.id)) picks.push({ query: q, item });
    else if (!item) missing.push(q);
  }
  const added: CatalogItem[] = [];
  let cart: Cart | undefined;
  for (const p of picks) {
    try {
      cart = await turn.ctx.ports.shop.addToCart(token, p.item.id, 1);
      added.push(p.item);
    } catch (error) {
      const kind = portErrorKind(error);
      if (kind === 'unavailable' || kind === 'unauthorized') {
        if (added.length) turn.send(h`Успел добавить: ${added.map((i) => i.name).join(', ')}.`);
        turn.shopFailed(error, 'kit');
        return;
      }
      if (portErrorCode(error) === 'OUT_OF_STOCK' || portErrorCode(error) === 'PRODUCT_NOT_AVAILABLE') missing.push(p.query);
      else throw error;
    }
  }
  const lines: Html[] = [h`🧰 Комплект${kit.model ? h` для ${kit.model}` : h``}: ${kit.title}`, h``];
  if (added.length) {
    lines.push(h`Добавил в корзину:`);
    for (const i of added) lines.push(h`✅ ${i.name} — ${rub(i.priceMaster)}`);
  } else {
    lines.push(h`Не нашёл ничего из комплекта в наличии 😔`);
  }
  if (missing.length) lines.push(h``, h`Нет в наличии: ${missing.join(', ')}. Менеджер может привезти под заказ — /bring ${missing[0]}`);
  if (cart) lines.push(h``, cartSummary(cart));
  turn.send(join(lines), { keyboard: added.length ? CART_BUTTONS : [] });
}
