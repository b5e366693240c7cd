import { h } from '../html';
import type { CatalogSearch } from '../ports';
import { renderItem, renderNothingFound, renderResults } from '../render/search';
import { T } from '../texts';
import type { Turn } from '../turn';

/** The catalog allows at most 50 results per query. */
const MAX_RESULTS = 50;

async function searchCatalog(turn: Turn, query: string, limit: number): Promise<CatalogSearch | undefined> {
  try {
    return await turn.ctx.ports.catalog.search(query, { limit: Math.min(MAX_RESULTS, limit) });
  } catch (error) {
    turn.ctx.log?.error({ err: (error as Error).message, chatId: turn.chatId }, 'assistant: catalog search failed');
    turn.answer('Поиск временно недоступен');
    turn.send(h`Поиск временно недоступен 😔 Попробуйте через минуту.`);
    return undefined;
  }
}

/** /find, free text and voice: one message with up to pageSize items and buttons. */
export async function search(turn: Turn, rawQuery: string, options: { heard?: string } = {}): Promise<void> {
  const query = rawQuery.replace(/\s+/g, ' ').trim();
  if (!query) {
    turn.send(h`Что ищем? Напишите запчасть и модель, например: <i>/find дисплей iPhone 11</i>`);
    return;
  }
  const { pageSize } = turn.settings;
  const result = await searchCatalog(turn, query, pageSize + 1);
  if (!result) return;
  turn.state.lastQuery = query;
  if (result.models.length) turn.state.lastModel = result.models[0];
  if (!result.items.length) {
    const page = renderNothingFound(query, result, { heard: options.heard, offerManager: !!turn.ctx.ports.requestManager, understood: result.understood });
    turn.send(page.text, { keyboard: page.keyboard });
    return;
  }
  const page = renderResults(result, { offset: 0, pageSize, heard: options.heard });
  turn.send(page.text, { keyboard: page.keyboard });
}

/** «Ещё»: the next page of the last query. */
export async function more(turn: Turn, offsetText: string): Promise<void> {
  const offset = Number(offsetText);
  const query = turn.state.lastQuery;
  if (!query || !Number.isSafeInteger(offset) || offset <= 0) {
    turn.answer('Кнопка устарела');
    turn.send(T.stale);
    return;
  }
  const { pageSize } = turn.settings;
  const result = await searchCatalog(turn, query, offset + pageSize + 1);
  if (!result) return;
  if (result.items.length <= offset) {
    turn.answer(offset >= MAX_RESULTS ? 'Показал всё, что мог — уточните запрос' : 'Больше вариантов нет');
    return;
  }
  turn.answer();
  const page = renderResults(result, { offset, pageSize });
  turn.send(page.text, { keyboard: page.keyboard });
}

/** A suggestion pressed: that item's card. */
export async function showItem(turn: Turn, idText: string): Promise<void> {
  const id = Number(idText);
  const item = Number.isSafeInteger(id) ? await turn.ctx.ports.catalog.getItem(id) : null;
  if (!item) {
    turn.answer('Этот товар больше не продаётся', true);
    return;
  }
  turn.answer();
  const rendered = renderItem(item, undefined);
  turn.send(rendered.text, { keyboard: rendered.keyboard });
}

/** «Заказать под заказ (Неси)» or `/bring <что нужно>`: the request goes to a manager. */
export async function requestManager(turn: Turn, text: string | undefined): Promise<void> {
  const what = (text ?? turn.state.lastQuery ?? '').trim();
  const port = turn.ctx.ports.requestManager;
  if (!port) {
    turn.answer();
    turn.send(h`Заказ под заказ пока не подключён — напишите, пожалуйста, менеджеру.`);
    return;
  }
  if (!what) {
    turn.answer();
    turn.send(h`Напишите, что привезти под заказ, например: <i>/bring дисплей Nokia 3310</i>`);
    return;
  }
  const user = await turn.user();
  await port({
    chatId: turn.chatId,
    linked: user.linked,
    text: what,
    ...(turn.userId !== undefined ? { telegramUserId: turn.userId } : {}),
    ...(turn.update.firstName ? { firstName: turn.update.firstName } : {}),
    ...(turn.update.username ? { username: turn.update.username } : {}),
    ...(turn.update.correlationId ? { correlationId: turn.update.correlationId } : {}),
  });
  turn.answer('Запрос отправлен менеджеру');
  turn.send(h`📦 Передал менеджеру запрос «${what}». Он найдёт запчасть под заказ и напишет вам здесь — обычно в течение рабочего дня. Привезёт курьер «Неси».`);
}
