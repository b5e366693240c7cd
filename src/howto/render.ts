import type { HowToResult } from './howto';
import { KIT_BUTTON_TEXT } from './kit';

/** Telegram's limit on message text. */
const TELEGRAM_MAX_TEXT = 4096;

export const HOWTO_ASK_QUESTION =
  'Напишите, что нужно отремонтировать, например: «/howto замена дисплея iPhone 11» или «как поменять АКБ на Redmi 9A».';
export const HOWTO_LLM_NOTE = 'Совет подготовлен автоматически — сверяйтесь с особенностями вашей модели.';
export const HOWTO_NEEDS_MODEL = 'Чтобы собрать комплект, укажите модель телефона.';

export interface InlineButton {
  readonly text: string;
  readonly callback_data: string;
}

export interface RenderedHowTo {
  /** Plain text (send without parse_mode: nothing to escape). */
  readonly text: string;
  readonly replyMarkup: { readonly inline_keyboard: InlineButton[][] };
}

/** The message for the master: title, numbered steps, safety, kit, and the «Заказать комплект» button. */
export function renderHowTo(result: HowToResult): RenderedHowTo {
  const model = result.model && !result.title.toLowerCase().includes(result.model.toLowerCase()) ? ` — ${result.model}` : '';
  const lines: string[] = [`🔧 ${result.title}${model}`, ''];
  result.steps.forEach((s, i) => lines.push(`${i + 1}. ${s}`));
  if (result.safety.length) lines.push('', `⚠️ ${result.safety.join(' ')}`);
  lines.push('', `🧰 Комплект: ${result.kit.title}.`);
  if (result.kit.needsModel) lines.push(HOWTO_NEEDS_MODEL);
  if (result.source === 'llm') lines.push('', `ℹ️ ${HOWTO_LLM_NOTE}`);
  let text = lines.join('\n');
  if (text.length > TELEGRAM_MAX_TEXT) text = `${text.slice(0, TELEGRAM_MAX_TEXT - 1)}…`;
  return { text, replyMarkup: { inline_keyboard: [[{ text: KIT_BUTTON_TEXT, callback_data: result.kit.callbackData }]] } };
}
