import { badRequest } from './errors';
import type {
  TgForceReply,
  TgInlineKeyboardButton,
  TgInlineKeyboardMarkup,
  TgKeyboardButton,
  TgReplyKeyboardMarkup,
  TgReplyKeyboardRemove,
} from './types';
import { buttonUrlProblem } from './urls';

/**
 * `reply_markup` as Telegram checks it: JSON, one of the four markup kinds, inline buttons with
 * text and exactly one action, callback_data of 1–64 bytes, button URLs that Telegram can open
 * (no localhost), Web App URLs over HTTPS.
 */
export type ParsedReplyMarkup =
  | { kind: 'inline'; markup: TgInlineKeyboardMarkup }
  | { kind: 'keyboard'; markup: TgReplyKeyboardMarkup }
  | { kind: 'remove'; markup: TgReplyKeyboardRemove }
  | { kind: 'force_reply'; markup: TgForceReply };

const ACTION_FIELDS = [
  'url',
  'callback_data',
  'web_app',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
] as const;

const MAX_BUTTONS = 100;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function inlineButton(raw: unknown): TgInlineKeyboardButton {
  if (!isObject(raw)) throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
  if (typeof raw.text !== 'string') throw badRequest(`can't parse inline keyboard button: Field "text" must be of type String`);
  const actions = ACTION_FIELDS.filter((f) => raw[f] !== undefined);
  if (actions.length === 0) throw badRequest('can\'t parse inline keyboard button: Text buttons are unallowed in the inline keyboard');
  if (actions.length > 1) throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must have exactly one optional field");
  if (!raw.text.trim()) throw badRequest('BUTTON_TEXT_INVALID');
  const button: TgInlineKeyboardButton = { text: raw.text };
  if (raw.callback_data !== undefined) {
    const data = typeof raw.callback_data === 'string' ? raw.callback_data : String(raw.callback_data);
    const bytes = Buffer.byteLength(data, 'utf8');
    if (bytes < 1 || bytes > 64) throw badRequest('BUTTON_DATA_INVALID');
    button.callback_data = data;
  }
  if (raw.url !== undefined) {
    const url = String(raw.url);
    const problem = buttonUrlProblem(url);
    if (problem) throw badRequest(`inline keyboard button URL '${url}' is invalid: ${problem}`);
    button.url = url;
  }
  if (raw.login_url !== undefined) {
    const login = isObject(raw.login_url) ? raw.login_url : {};
    const url = String(login.url ?? '');
    const problem = buttonUrlProblem(url);
    if (problem) throw badRequest(`inline keyboard button login URL '${url}' is invalid: ${problem}`);
    button.login_url = { ...(login as object), url } as TgInlineKeyboardButton['login_url'];
  }
  if (raw.web_app !== undefined) {
    const url = String(isObject(raw.web_app) ? (raw.web_app.url ?? '') : '');
    if (!/^https:\/\//i.test(url)) throw badRequest(`inline keyboard button Web App URL '${url}' is invalid: Only HTTPS links are allowed`);
    const problem = buttonUrlProblem(url);
    if (problem) throw badRequest(`inline keyboard button Web App URL '${url}' is invalid: ${problem}`);
    button.web_app = { url };
  }
  if (raw.switch_inline_query !== undefined) button.switch_inline_query = String(raw.switch_inline_query);
  if (raw.switch_inline_query_current_chat !== undefined) button.switch_inline_query_current_chat = String(raw.switch_inline_query_current_chat);
  if (raw.copy_text !== undefined) button.copy_text = { text: String(isObject(raw.copy_text) ? (raw.copy_text.text ?? '') : raw.copy_text) };
  if (raw.pay !== undefined) button.pay = Boolean(raw.pay);
  return button;
}

function rows<T>(raw: unknown, field: string, parse: (b: unknown) => T): T[][] {
  if (!Array.isArray(raw)) throw badRequest(`can't parse reply keyboard markup JSON object: Field "${field}" must be of type Array`);
  let count = 0;
  return raw.map((row) => {
    if (!Array.isArray(row)) throw badRequest(`can't parse reply keyboard markup JSON object: Field "${field}" must be an Array of Arrays`);
    count += row.length;
    if (count > MAX_BUTTONS) throw badRequest('reply markup is too long');
    return row.map(parse);
  });
}

function keyboardButton(raw: unknown): TgKeyboardButton {
  if (typeof raw === 'string') return { text: raw };
  if (!isObject(raw) || typeof raw.text !== 'string') throw badRequest(`can't parse keyboard button: Field "text" must be of type String`);
  const button: TgKeyboardButton = { text: raw.text };
  if (raw.request_contact) button.request_contact = true;
  if (raw.request_location) button.request_location = true;
  return button;
}

export function parseReplyMarkup(raw: unknown): ParsedReplyMarkup | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw badRequest("can't parse reply keyboard markup JSON object");
    }
  }
  if (!isObject(value)) throw badRequest("can't parse reply keyboard markup JSON object");
  if (value.inline_keyboard !== undefined) {
    const inline_keyboard = rows(value.inline_keyboard, 'inline_keyboard', inlineButton).filter((row) => row.length > 0);
    return { kind: 'inline', markup: { inline_keyboard } };
  }
  if (value.keyboard !== undefined) {
    const keyboard = rows(value.keyboard, 'keyboard', keyboardButton).filter((row) => row.length > 0);
    const markup: TgReplyKeyboardMarkup = { keyboard };
    for (const flag of ['is_persistent', 'resize_keyboard', 'one_time_keyboard', 'selective'] as const) {
      if (value[flag] !== undefined) markup[flag] = Boolean(value[flag]);
    }
    if (typeof value.input_field_placeholder === 'string') markup.input_field_placeholder = value.input_field_placeholder;
    return { kind: 'keyboard', markup };
  }
  if (value.remove_keyboard !== undefined) {
    return { kind: 'remove', markup: { remove_keyboard: true, ...(value.selective ? { selective: true } : {}) } };
  }
  if (value.force_reply !== undefined) {
    const markup: TgForceReply = { force_reply: true };
    if (typeof value.input_field_placeholder === 'string') markup.input_field_placeholder = value.input_field_placeholder;
    return { kind: 'force_reply', markup };
  }
  throw badRequest("can't find field \"inline_keyboard\"");
}

/** Finds a button with this callback_data (or, failing that, this label) in an inline keyboard. */
export function findInlineButton(
  markup: TgInlineKeyboardMarkup | undefined,
  by: { data?: string; text?: string },
): TgInlineKeyboardButton | undefined {
  const buttons = markup?.inline_keyboard.flat() ?? [];
  if (by.data !== undefined) return buttons.find((b) => b.callback_data === by.data);
  if (by.text !== undefined) return buttons.find((b) => b.text === by.text) ?? buttons.find((b) => b.text.trim().toLowerCase() === by.text?.trim().toLowerCase());
  return undefined;
}
