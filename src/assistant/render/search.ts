import { rub, stockText, timeHHMM } from '../format';
import { callbackData, h, join, shortLabel, type Html } from '../html';
import type { CatalogItem, CatalogSearch } from '../ports';
import type { Keyboard } from '../turn';

export interface RenderedMessage {
  readonly text: Html;
  readonly keyboard: Keyboard;
}

/** "⚠️ Цены и наличие на 14:05" for answers from the cache while the shop is down. */
export function degradedLine(result: Pick<CatalogSearch, 'asOf' | 'degraded'>): Html | undefined {
  if (!result.degraded) return undefined;
  if (!result.asOf) return h`⚠️ Магазин сейчас не отвечает — цены и наличие могут быть неточными.`;
  return h`⚠️ Цены и наличие на ${timeHHMM(result.asOf)} — магазин временно не отвечает.`;
}

export function itemLines(item: CatalogItem, n?: number): Html {
  const head = n === undefined ? h`<b>${item.name}</b>` : h`${n}. <b>${item.name}</b>`;
  const details = [item.quality ? `Качество: ${item.quality}` : undefined, rub(item.priceMaster), stockText(item.stockTotal)].filter(Boolean).join(' · ');
  return h`${head}\n    ${details}`;
}

export function itemButtons(item: CatalogItem, n?: number): InlineRow {
  const tag = n === undefined ? '' : ` ${n}`;
  const row: { text: string; callback_data: string }[] = [];
  if (item.stockTotal > 0) row.push({ text: `🛒 В корзину${tag}`, callback_data: callbackData('add', item.id) });
  row.push({ text: `🔗 Совместимость${tag}`, callback_data: callbackData('compat', item.id) });
  return row;
}

type InlineRow = readonly { text: string; callback_data?: string; url?: string }[];

/** A page of results: up to pageSize items, buttons per item, «Ещё» when there are more. */
export function renderResults(result: CatalogSearch, options: { offset: number; pageSize: number; heard?: string }): RenderedMessage {
  const page = result.items.slice(options.offset, options.offset + options.pageSize);
  const more = result.items.length > options.offset + options.pageSize;
  const lines: Html[] = [];
  if (options.heard) lines.push(h`🎤 «${options.heard}»`);
  const degraded = degradedLine(result);
  if (degraded) lines.push(degraded);
  if (options.offset === 0 && result.explanation) lines.push(h`<i>${result.explanation}</i>`);
  else if (options.offset > 0) lines.push(h`Ещё варианты:`);
  lines.push(h``);
  page.forEach((item, i) => lines.push(itemLines(item, options.offset + i + 1)));
  lines.push(h``, h`Цены для мастеров.`);
  const keyboard: InlineRow[] = page.map((item, i) => itemButtons(item, options.offset + i + 1));
  if (more) keyboard.push([{ text: 'Ещё ▶️', callback_data: callbackData('more', options.offset + options.pageSize) }]);
  return { text: join(lines), keyboard };
}

/** Nothing found: say so, close matches as buttons, and the «Неси» offer to a manager. */
export function renderNothingFound(query: string, result: CatalogSearch, options: { heard?: string; offerManager: boolean; understood: boolean }): RenderedMessage {
  const lines: Html[] = [];
  if (options.heard) lines.push(h`🎤 «${options.heard}»`);
  const degraded = degradedLine(result);
  if (degraded) lines.push(degraded);
  if (!options.understood && !result.suggestions.length) {
    lines.push(h`Не понял запрос «${query}» 🤔 Напишите, какая запчасть и для какой модели, например: <i>дисплей iPhone 11</i> или <i>акб Redmi 9A</i>.`);
  } else {
    lines.push(h`По запросу «${query}» ничего не нашлось 😔`);
    if (result.explanation) lines.push(h`<i>${result.explanation}</i>`);
  }
  const keyboard: InlineRow[] = [];
  if (result.suggestions.length) {
    lines.push(h``, h`Возможно, подойдёт:`);
    result.suggestions.slice(0, 5).forEach((s) => {
      lines.push(h`• ${s.name} — ${rub(s.priceMaster)}, ${stockText(s.stockTotal)}`);
      keyboard.push([{ text: shortLabel(s.name), callback_data: callbackData('item', s.id) }]);
    });
  }
  if (options.offerManager) {
    lines.push(h``, h`Нет нужного? Менеджер привезёт под заказ — курьером «Неси».`);
    keyboard.push([{ text: '📦 Заказать под заказ (Неси)', callback_data: callbackData('bring', 'req') }]);
  }
  return { text: join(lines), keyboard };
}

/** One item (a suggestion pressed): its card with the same buttons. */
export function renderItem(item: CatalogItem, freshness: Pick<CatalogSearch, 'asOf' | 'degraded'> | undefined): RenderedMessage {
  const lines: Html[] = [];
  const degraded = freshness ? degradedLine(freshness) : undefined;
  if (degraded) lines.push(degraded);
  lines.push(itemLines(item));
  if (item.models.length) lines.push(h`Подходит: ${item.models.join(', ')}`);
  return { text: join(lines), keyboard: [itemButtons(item)] };
}
