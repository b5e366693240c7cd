import type { IncomingUpdate, UpdateOrigin } from './types';

/**
 * Turns what arrives from Telegram into an IncomingUpdate:
 * - normalizeTelegramUpdate: a raw Bot API Update (getUpdates, webhook);
 * - normalizeNodeRedMessage: a message of node-red-contrib-telegrambot's `telegram receiver`
 *   (msg.payload {chatId, messageId, type, content…}, msg.originalMessage) or `telegram event`
 *   (callback_query) node, or a message already carrying `msg.transcript` from speech-to-text.
 * Undefined for what the assistant does not answer (edits, channel posts, service messages).
 */

type Rec = Record<string, unknown>;

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && /^-?\d{1,16}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const COMMAND = /^\/([^\s@]*)(?:@(\S+))?(?:\s+([\s\S]*))?$/;

/** "/find@bot дисплей" → {command: 'find', args: 'дисплей'}; undefined for text that is not a command. */
export function parseCommand(text: string): { command: string; args: string; bot?: string } | undefined {
  const t = text.trim();
  if (!t.startsWith('/') || t.startsWith('//')) return undefined;
  const m = COMMAND.exec(t);
  if (!m) return undefined;
  return { command: (m[1] ?? '').toLowerCase(), args: (m[3] ?? '').trim(), ...(m[2] ? { bot: m[2] } : {}) };
}

function textUpdate(origin: UpdateOrigin, text: string): IncomingUpdate {
  const cmd = parseCommand(text);
  return cmd ? { ...origin, kind: 'command', command: cmd.command, args: cmd.args, text } : { ...origin, kind: 'text', text };
}

function originOf(message: Rec, extra: Partial<UpdateOrigin> = {}): UpdateOrigin | undefined {
  const chat = isRec(message.chat) ? message.chat : undefined;
  const chatId = num(chat?.id);
  if (chatId === undefined) return undefined;
  const from = isRec(message.from) ? message.from : undefined;
  const type = str(chat?.type);
  const chatType: UpdateOrigin['chatType'] = type === 'private' || type === 'group' || type === 'supergroup' || type === 'channel' ? type : undefined;
  return compact<UpdateOrigin>({
    chatId,
    userId: num(from?.id),
    firstName: str(from?.first_name),
    username: str(from?.username),
    languageCode: str(from?.language_code),
    chatType,
    messageId: num(message.message_id),
    ...extra,
  });
}

function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** A Bot API Message → update (text, command, photo, voice, location, contact, or unsupported). */
export function normalizeTelegramMessage(message: Rec, extra: Partial<UpdateOrigin> = {}): IncomingUpdate | undefined {
  const origin = originOf(message, extra);
  if (!origin) return undefined;
  if (typeof message.text === 'string') return textUpdate(origin, message.text);
  if (Array.isArray(message.photo) && message.photo.length) {
    const biggest = (message.photo as Rec[]).reduce((a, b) => (Number(b.width) * Number(b.height) > Number(a.width) * Number(a.height) ? b : a));
    const fileId = str(biggest.file_id);
    if (fileId) return compact({ ...origin, kind: 'photo' as const, fileId, caption: str(message.caption) });
  }
  if (isRec(message.voice)) return compact({ ...origin, kind: 'voice' as const, fileId: str(message.voice.file_id) });
  if (isRec(message.location)) {
    const latitude = Number(message.location.latitude);
    const longitude = Number(message.location.longitude);
    if (Number.isFinite(latitude) && Number.isFinite(longitude)) return { ...origin, kind: 'location', latitude, longitude };
  }
  if (isRec(message.contact) && typeof message.contact.phone_number === 'string') {
    return compact({ ...origin, kind: 'contact' as const, phoneNumber: message.contact.phone_number, contactUserId: num(message.contact.user_id) });
  }
  for (const what of ['sticker', 'document', 'video', 'video_note', 'audio', 'animation', 'poll', 'dice', 'venue', 'game']) {
    if (message[what] !== undefined) return { ...origin, kind: 'unsupported', what };
  }
  // Service messages (members joined, title changed…): nothing to answer.
  return undefined;
}

/** A Bot API CallbackQuery → update. */
export function normalizeCallbackQuery(query: Rec, extra: Partial<UpdateOrigin> = {}): IncomingUpdate | undefined {
  const id = str(query.id);
  const message = isRec(query.message) ? query.message : undefined;
  const from = isRec(query.from) ? query.from : undefined;
  const chatId = num(isRec(message?.chat) ? message.chat.id : undefined) ?? num(from?.id);
  if (!id || chatId === undefined) return undefined;
  return compact({
    chatId,
    userId: num(from?.id),
    firstName: str(from?.first_name),
    username: str(from?.username),
    languageCode: str(from?.language_code),
    kind: 'callback' as const,
    callbackQueryId: id,
    data: str(query.data) ?? '',
    callbackMessageId: num(message?.message_id),
    ...extra,
  });
}

/** A raw Bot API Update (getUpdates or a webhook body). */
export function normalizeTelegramUpdate(update: Rec): IncomingUpdate | undefined {
  const extra = compact({ updateId: num(update.update_id) });
  if (isRec(update.message)) return normalizeTelegramMessage(update.message, extra);
  if (isRec(update.callback_query)) return normalizeCallbackQuery(update.callback_query, extra);
  return undefined;
}

/**
 * A Node-RED message from node-red-contrib-telegrambot (receiver or event node), possibly after a
 * speech-to-text node (`msg.transcript`, or `msg.stt.failure` / `msg.sttFailure` when it failed).
 */
export function normalizeNodeRedMessage(msg: Rec): IncomingUpdate | undefined {
  const payload = isRec(msg.payload) ? msg.payload : {};
  const original = isRec(msg.originalMessage) ? msg.originalMessage : undefined;
  const correlationId = str(msg.correlationId) ?? str(msg._msgid);
  const extra = compact({ correlationId });

  // Callback query from the `telegram event` node (or a raw update passed through).
  if (payload.type === 'callback_query' || (original && typeof original.chat_instance === 'string')) {
    if (original) return normalizeCallbackQuery(original, extra);
    const id = str(payload.callbackQueryId);
    const chatId = num(payload.chatId);
    if (!id || chatId === undefined) return undefined;
    const from = isRec(payload.from) ? payload.from : undefined;
    return compact({ chatId, userId: num(from?.id), firstName: str(from?.first_name), kind: 'callback' as const, callbackQueryId: id, data: str(payload.content) ?? '', callbackMessageId: num(payload.messageId), ...extra });
  }
  // A raw Bot API update (a webhook body passed on as msg).
  if (msg.update_id !== undefined && (isRec(msg.message) || isRec(msg.callback_query))) return normalizeTelegramUpdate(msg);

  const transcript = str(msg.transcript);
  const sttFailure = str(msg.sttFailure) ?? (isRec(msg.stt) ? str(msg.stt.failure) ?? str(msg.stt.reason) : undefined);
  if (original) {
    const base = normalizeTelegramMessage(original, extra);
    if (!base) return undefined;
    if (base.kind === 'voice' || transcript !== undefined || payload.type === 'voice' || payload.type === 'audio') {
      const { kind: _k, ...origin } = base as IncomingUpdate & { kind: string };
      void _k;
      const o = origin as UpdateOrigin;
      return compact({ ...pickOrigin(o), kind: 'voice' as const, transcript: transcript?.trim() || undefined, failure: transcript ? undefined : (sttFailure ?? 'no_transcript'), fileId: str(payload.content) });
    }
    return base;
  }
  // No original message: the payload alone (a flow that built it by hand).
  const chatId = num(payload.chatId);
  if (chatId === undefined) return undefined;
  const origin: UpdateOrigin = compact({ chatId, messageId: num(payload.messageId), ...extra });
  if (transcript !== undefined || payload.type === 'voice') {
    return compact({ ...origin, kind: 'voice' as const, transcript: transcript?.trim() || undefined, failure: transcript ? undefined : (sttFailure ?? 'no_transcript') });
  }
  switch (payload.type) {
    case 'message':
      return typeof payload.content === 'string' ? textUpdate(origin, payload.content) : undefined;
    case 'photo':
      return typeof payload.content === 'string' ? compact({ ...origin, kind: 'photo' as const, fileId: payload.content, caption: str(payload.caption) }) : undefined;
    case 'location': {
      const c = isRec(payload.content) ? payload.content : {};
      return { ...origin, kind: 'location', latitude: Number(c.latitude), longitude: Number(c.longitude) };
    }
    case 'contact': {
      const c = isRec(payload.content) ? payload.content : {};
      return typeof c.phone_number === 'string' ? { ...origin, kind: 'contact', phoneNumber: c.phone_number } : undefined;
    }
    default:
      return typeof payload.type === 'string' ? { ...origin, kind: 'unsupported', what: payload.type } : undefined;
  }
}

function pickOrigin(o: UpdateOrigin): UpdateOrigin {
  return compact({
    chatId: o.chatId,
    userId: o.userId,
    firstName: o.firstName,
    username: o.username,
    languageCode: o.languageCode,
    chatType: o.chatType,
    messageId: o.messageId,
    updateId: o.updateId,
    correlationId: o.correlationId,
  });
}
