// Human-readable explanation of how a query was read, shown to the master
// ("Понял: дисплей · Apple iPhone 11 …") and written to logs for tuning.
import type { Dictionaries } from './dictionaries';
import type { EmptyReason } from './suggest';
import type { Correction, Interpretation } from './types';

const KIND_RU: Record<Correction['kind'], string> = {
  layout: 'раскладка',
  typo: 'опечатка',
  translit: 'написание',
  number: 'число словами',
  glue: 'склейка',
  split: 'разбивка',
};

const REASON_RU: Record<EmptyReason, string> = {
  unknown_model: 'такой модели нет в каталоге',
  no_such_part: 'для этой модели такой запчасти нет',
  filters: 'нет позиций с таким качеством/цветом',
  no_text_match: 'нет товаров с такими словами',
  nothing_understood: 'запрос не распознан',
};

export function explain(dicts: Dictionaries, it: Interpretation, found: number, reason?: EmptyReason, notes: string[] = []): string {
  const parts: string[] = [];
  if (it.exact) parts.push(`точный код ${it.exact.value}`);
  if (it.codes.length) parts.push(`код ${it.codes.join(', ')}`);
  const types = it.partTypes.map((t) => dicts.partTypes.types[t]?.label ?? t);
  if (types.length) parts.push(types.join(' / '));
  if (it.modelMatch === 'unknown' && !found) parts.push(`модель «${[...new Set([...(it.models.length ? [it.models[0]!] : it.family), ...it.unknownModelTokens])].join(' ')}»`);
  else if (it.models.length) parts.push(modelText(it));
  else if (it.unknownModelTokens.length && !found) parts.push(`модель «${it.unknownModelTokens.join(' ')}»`);
  else if (it.family.length) parts.push(it.family.join(' '));
  if (it.quality.length) parts.push(`качество: ${it.quality.map((q) => dicts.qualities.find((d) => d.tag === q)?.label ?? q).join(', ')}`);
  if (it.color) parts.push(`цвет: ${it.color}`);
  for (const f of it.features) parts.push(`${f.wanted ? '' : 'без '}${dicts.features.find((d) => d.key === f.key)?.label ?? f.key}`);
  if (it.residual.length) parts.push(`слова: ${it.residual.join(' ')}`);
  let text = `Понял: ${parts.length ? parts.join(' · ') : '—'}`;
  if (it.corrections.length) text += `. Исправлено: ${it.corrections.map((c) => `${c.from}→${c.to} (${KIND_RU[c.kind]})`).join(', ')}`;
  text += found ? `. Найдено: ${found}` : `. Ничего не найдено: ${REASON_RU[reason ?? 'nothing_understood']}`;
  if (notes.length) text += ` (${notes.join('; ')})`;
  return text;
}

function modelText(it: Interpretation): string {
  const shown = it.models.slice(0, 4).join(', ');
  const more = it.models.length > 4 ? ` и ещё ${it.models.length - 4}` : '';
  const how = it.modelMatch === 'partial' ? ' (все варианты)' : it.modelMatch === 'family' ? ' (весь бренд/серия)' : '';
  return `${shown}${more}${how}`;
}
