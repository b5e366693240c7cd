import { plural, rub, stockText } from '../format';
import { callbackData, h, join, type Html } from '../html';
import type { CompatByModel } from '../ports';
import { itemButtons } from '../render/search';
import type { Turn } from '../turn';

const MAX_PARTS_SHOWN = 20;

/** «🔗 Совместимость» (compat:<id>): which models the part fits. */
export async function compatOfItem(turn: Turn, idText: string): Promise<void> {
  const id = Number(idText);
  const answer = Number.isSafeInteger(id) ? await turn.ctx.ports.catalog.compatByItem(id) : { item: null, models: [] };
  if (!answer.item) {
    turn.answer('Этот товар больше не продаётся', true);
    return;
  }
  turn.answer();
  const item = answer.item;
  const lines: Html[] = [h`🔗 <b>${item.name}</b>`, h``];
  if (answer.models.length) {
    lines.push(h`Подходит к: ${answer.models.join(', ')}`);
    if (answer.models.length > 1) lines.push(h`Общая запчасть для ${answer.models.length} ${plural(answer.models.length, 'модели', 'моделей', 'моделей')}.`);
  } else {
    lines.push(h`Совместимые модели в каталоге не указаны — уточните у менеджера.`);
  }
  lines.push(h``, h`${rub(item.priceMaster)} · ${stockText(item.stockTotal)}`);
  const buttons = itemButtons(item).filter((b) => b.callback_data?.startsWith('add:'));
  turn.send(join(lines), { keyboard: buttons.length ? [buttons] : [] });
}

function renderByModel(answer: CompatByModel): { text: Html; keyboard: { text: string; callback_data: string }[][] } {
  const model = answer.models.join(', ');
  const lines: Html[] = [h`🔗 Совместимость: <b>${model}</b>`];
  const shared = answer.parts.filter((p) => p.sharedWith.length).length;
  if (!answer.parts.length) {
    lines.push(h``, h`Запчастей для этой модели в каталоге пока нет. Менеджер может привезти под заказ — /bring ${model}`);
    return { text: join(lines), keyboard: [] };
  }
  lines.push(
    h`Подходит ${answer.total} ${plural(answer.total, 'запчасть', 'запчасти', 'запчастей')}${shared ? h`, из них общих с другими моделями: ${shared}` : h``}.`,
  );
  if (answer.sharedModels.length) lines.push(h`Общие запчасти с: ${answer.sharedModels.join(', ')}`);
  let currentType: string | null | undefined;
  const shown = answer.parts.slice(0, MAX_PARTS_SHOWN);
  for (const p of shown) {
    if (p.partType !== currentType) {
      currentType = p.partType;
      lines.push(h``, h`<b>${(p.partType && answer.partTypes[p.partType]) || 'Прочее'}</b>`);
    }
    const also = p.sharedWith.length ? h`\n    ↔ также: ${p.sharedWith.join(', ')}` : h``;
    lines.push(h`• ${p.name} — ${rub(p.priceMaster)}, ${stockText(p.stockTotal)}${also}`);
  }
  if (answer.total > shown.length) lines.push(h``, h`…и ещё ${answer.total - shown.length}. Уточните запрос, например: <i>/compat дисплей ${answer.models[0] ?? ''}</i>`);
  const keyboard = shown
    .filter((p) => p.stockTotal > 0)
    .slice(0, 5)
    .map((p) => [{ text: `🛒 ${p.name.slice(0, 36)}${p.name.length > 36 ? '…' : ''}`, callback_data: callbackData('add', p.id) }]);
  return { text: join(lines), keyboard };
}

/** /compat <модель или запчасть>, «что подходит к …». */
export async function compat(turn: Turn, text: string): Promise<void> {
  const query = text.replace(/\s+/g, ' ').trim();
  if (!query) {
    turn.send(h`Напишите модель или запчасть, например: <i>/compat Redmi 9A</i> или <i>/compat дисплей Redmi 9C</i>.`);
    return;
  }
  const catalog = turn.ctx.ports.catalog;
  const byModel = await catalog.compatByModel(query);
  if (byModel.models.length) {
    turn.state.lastModel = byModel.models[0];
    const view = renderByModel(byModel);
    turn.send(view.text, { keyboard: view.keyboard });
    return;
  }
  // Not a model: maybe a part ("совместимость BN56").
  const found = await catalog.search(query, { limit: 1 });
  const item = found.items[0];
  if (item) {
    await compatOfItem(turn, String(item.id));
    return;
  }
  turn.send(h`Не нашёл модель или запчасть «${query}» 🤔 Напишите, например: <i>/compat Redmi 9A</i>.`);
}
