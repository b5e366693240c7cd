/**
 * The prompt for LLM tips and the parser of the answer. Prompt-only: the model sees the
 * question and these rules, no catalog data, no tools. The answer is treated as untrusted
 * text: links, markup and anything outside the expected shape are dropped, and an answer
 * that does not parse falls back to the curated tip.
 */

export const OFF_TOPIC_MARK = 'НЕ ПО ТЕМЕ';

export const HOWTO_SYSTEM_PROMPT = [
  'Ты — опытный мастер по ремонту смартфонов и помогаешь другим мастерам в Telegram-боте магазина запчастей.',
  'Отвечай по-русски, коротко и по делу, как коллеге.',
  'Формат ответа строго такой:',
  '- первая строка — короткий заголовок (до 60 символов) без кавычек;',
  '- затем от 3 до 6 шагов, каждый с новой строки в виде «1. …», не длиннее 200 символов;',
  '- последняя строка — «Осторожно: …» с главным риском (аккумулятор, нагрев, шлейфы, осколки).',
  'Не давай ссылок, не упоминай сайты, магазины, цены и марки инструментов.',
  'Не советуй опасного: не прокалывать и не гнуть аккумулятор, не работать с подключённым аккумулятором, не греть выше 100 °C.',
  'Если не уверен в особенностях модели, дай общий безопасный порядок.',
  `Если вопрос не о ремонте телефонов или планшетов, ответь одной строкой: «${OFF_TOPIC_MARK}».`,
].join('\n');

/** Longest question passed to the model (a voice transcript can ramble). */
export const MAX_QUESTION_CHARS = 500;

export interface ParsedTip {
  readonly title?: string;
  readonly steps: readonly string[];
  readonly safety: readonly string[];
}

export type ParseResult = { readonly ok: true; readonly tip: ParsedTip } | { readonly ok: false; readonly reason: 'off_topic' | 'unparsable' };

const MAX_STEPS = 8;
const MAX_STEP_CHARS = 300;
const MAX_TITLE_CHARS = 80;

/** Removes links, HTML and markdown from one line of model output. */
export function cleanLine(line: string): string {
  return line
    .replace(/<[^>]{1,200}>/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\b(?:https?:\/\/|www\.)\S+/gi, '')
    .replace(/\bt\.me\/\S+/gi, '')
    .replace(/\S+@\S+\.\S+/g, '')
    .replace(/[*_`~]{1,3}/g, '')
    .replace(/^#{1,6}\s*/, '')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function clip(text: string, max: number): string {
  const t = text.charAt(0).toUpperCase() + text.slice(1);
  return t.length <= max ? t : `${t.slice(0, max - 1).trimEnd()}…`;
}

const STEP = /^(?:шаг\s*)?\d{1,2}\s*[.):\-–—]\s*(.+)$/i;
const BULLET = /^[-•*–—▪►]\s+(.+)$/;
const SAFETY = /^(?:⚠️?\s*)?(?:осторожно|внимание|важно|безопасность|предупреждение)\s*[:!.\-–—]\s*(.+)$/i;

/** Title, numbered (or bulleted) steps and the safety line of a model's answer. */
export function parseTipAnswer(text: string): ParseResult {
  const raw = text.replace(/\r\n?/g, '\n');
  if (raw.toUpperCase().includes(OFF_TOPIC_MARK)) return { ok: false, reason: 'off_topic' };
  const lines = raw.split('\n').map((l) => l.trim()).filter(Boolean);
  let title: string | undefined;
  const steps: string[] = [];
  const safety: string[] = [];
  for (const rawLine of lines) {
    // Markers are read before cleaning: "**1.**" and "- " carry the structure.
    const unbold = rawLine.replace(/^[*_]{1,3}(.*?)[*_]{1,3}(?=\s|$)/, '$1');
    const safe = SAFETY.exec(cleanLine(unbold));
    if (safe) {
      const s = cleanLine(safe[1]);
      if (s) safety.push(clip(s, MAX_STEP_CHARS));
      continue;
    }
    const step = STEP.exec(unbold) ?? BULLET.exec(unbold);
    if (step) {
      const s = cleanLine(step[1]);
      if (s && steps.length < MAX_STEPS) steps.push(clip(s, MAX_STEP_CHARS));
      continue;
    }
    const line = cleanLine(rawLine).replace(/[:：]\s*$/, '');
    if (!title && steps.length === 0 && line) title = clip(line, MAX_TITLE_CHARS);
  }
  if (steps.length < 2) return { ok: false, reason: 'unparsable' };
  return { ok: true, tip: { title, steps, safety: safety.slice(0, 3) } };
}
