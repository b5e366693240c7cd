import express, { type Request, type Response } from 'express';
import type { TelegramCore } from './core';
import { BotApiError, badRequest } from './errors';
import { MAX_DOWNLOAD_BYTES, type FileKind, type StoredFile } from './files';
import { imageSize, placeholderPng } from './images';
import { parseReplyMarkup, type ParsedReplyMarkup } from './keyboard';
import { formatText } from './markup';
import { oggOpusDuration } from './ogg';
import { Params, readMethodParams } from './params';
import type { ChatState } from './store';
import type { TgBotCommand, TgMessage, TgMessageEntity, TgUser, TranscriptMessage } from './types';
import { isRejectedHttpUrl } from './urls';

/**
 * The Bot API surface: `/bot<token>/<method>` (also `/bot<token>/test/<method>`, the test
 * environment path), method names case-insensitive, GET or POST, parameters from the query string
 * and a form, multipart or JSON body; answers `{ok:true, result}` or `{ok:false, error_code,
 * description[, parameters]}`. Files: `GET /file/bot<token>/<file_path>`.
 */

export class Answer {
  constructor(
    readonly result: unknown,
    readonly description?: string,
  ) {}
}

type Handler = (core: TelegramCore, p: Params, signal: AbortSignal) => unknown;

const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;

const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

const SCOPE_TYPES = new Set(['default', 'all_private_chats', 'all_group_chats', 'all_chat_administrators', 'chat', 'chat_administrators', 'chat_member']);

/** Real Bot API methods the sandbox does not model: a clear 400 instead of a misleading 404. */
const NOT_MODELLED = [
  'forwardMessage', 'forwardMessages', 'copyMessage', 'copyMessages', 'sendMediaGroup', 'sendVenue', 'sendPoll', 'sendDice',
  'sendPaidMedia', 'editMessageMedia', 'editMessageLiveLocation', 'stopMessageLiveLocation', 'stopPoll', 'setMessageReaction',
  'getUserProfilePhotos', 'banChatMember', 'unbanChatMember', 'restrictChatMember', 'promoteChatMember', 'getChatAdministrators',
  'getChatMemberCount', 'leaveChat', 'answerInlineQuery', 'answerWebAppQuery', 'sendInvoice', 'createInvoiceLink',
  'answerShippingQuery', 'answerPreCheckoutQuery', 'setChatMenuButton', 'getChatMenuButton', 'setMyName', 'getMyName',
  'setMyDescription', 'getMyDescription', 'setMyShortDescription', 'getMyShortDescription', 'setChatTitle', 'setChatPhoto',
  'setChatDescription', 'exportChatInviteLink', 'createChatInviteLink', 'sendGame', 'sendSticker', 'getStickerSet',
].map((m) => m.toLowerCase());

// ------------------------------------------------------------------------------------------------
// Helpers

function botFrom(core: TelegramCore): TgUser {
  return { id: core.bot.id, is_bot: true, first_name: core.bot.first_name, ...(core.bot.username ? { username: core.bot.username } : {}) };
}

function explicitEntities(p: Params, name: string): TgMessageEntity[] | undefined {
  const raw = p.json(name, 'message entities');
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw badRequest(`can't parse entities JSON object`);
  return raw.map((e) => {
    const entity = e as Partial<TgMessageEntity>;
    if (typeof entity.type !== 'string' || typeof entity.offset !== 'number' || typeof entity.length !== 'number') {
      throw badRequest("can't parse MessageEntity: Field \"type\" must be of type String");
    }
    return entity as TgMessageEntity;
  });
}

function replyFields(state: ChatState, p: Params): Pick<TgMessage, 'reply_to_message'> {
  let messageId = p.int('reply_to_message_id');
  let allowWithout = p.bool('allow_sending_without_reply');
  const parameters = p.json('reply_parameters', 'reply parameters') as { message_id?: number; allow_sending_without_reply?: boolean } | undefined;
  if (parameters) {
    messageId = parameters.message_id;
    allowWithout = allowWithout || Boolean(parameters.allow_sending_without_reply);
  }
  if (messageId === undefined || messageId === 0) return {};
  const target = state.byId.get(messageId);
  if (!target || target.deleted) {
    if (allowWithout) return {};
    throw badRequest('message to be replied not found');
  }
  const { reply_to_message: _nested, ...rest } = target.message;
  return { reply_to_message: structuredClone(rest) };
}

function markupFields(markup: ParsedReplyMarkup | undefined): {
  inline: Pick<TgMessage, 'reply_markup'>;
  extra: Partial<Pick<TranscriptMessage, 'replyKeyboard'>>;
} {
  if (!markup) return { inline: {}, extra: {} };
  if (markup.kind === 'inline') return { inline: markup.markup.inline_keyboard.length ? { reply_markup: markup.markup } : {}, extra: {} };
  return { inline: {}, extra: { replyKeyboard: markup.markup } };
}

/** Adds a bot message to the chat after the flood check; returns the Message Telegram answers. */
function botSend(
  core: TelegramCore,
  state: ChatState,
  p: Params,
  content: Partial<TgMessage>,
  extra: Partial<Pick<TranscriptMessage, 'replyKeyboard' | 'source'>>,
): TgMessage {
  const reply = replyFields(state, p);
  core.takeFlood(state);
  const from = botFrom(core);
  const record = core.chats.addMessage(state, 'bot', (messageId, date) => ({ message_id: messageId, from, chat: { ...state.chat }, date, ...reply, ...content }), extra);
  return structuredClone(record.message);
}

function editable(core: TelegramCore, p: Params): { state: ChatState; record: TranscriptMessage } {
  if (p.has('inline_message_id')) throw badRequest('MESSAGE_ID_INVALID');
  const state = core.chatForBot(p.chatId());
  const messageId = p.int('message_id');
  if (messageId === undefined) throw badRequest('message identifier is not specified');
  const record = state.byId.get(messageId);
  if (!record || record.deleted) throw badRequest('message to edit not found');
  if (record.direction !== 'bot') throw badRequest("message can't be edited");
  return { state, record };
}

const NOT_MODIFIED = 'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function inlineOnly(markup: ParsedReplyMarkup | undefined): TgMessage['reply_markup'] {
  if (!markup) return undefined;
  if (markup.kind !== 'inline') throw badRequest('inline keyboard expected');
  return markup.markup.inline_keyboard.length ? markup.markup : undefined;
}

function setOrDelete<K extends keyof TgMessage>(message: TgMessage, key: K, value: TgMessage[K] | undefined): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) delete message[key];
  else message[key] = value;
}

function commandsKey(p: Params): string {
  const raw = p.json('scope', 'BotCommandScope');
  const scope = (raw ?? { type: 'default' }) as { type?: string; chat_id?: unknown; user_id?: unknown };
  if (typeof scope !== 'object' || scope === null || typeof scope.type !== 'string') throw badRequest("can't parse BotCommandScope JSON object");
  if (!SCOPE_TYPES.has(scope.type)) throw badRequest('unsupported bot command scope type');
  const language = p.string('language_code') ?? '';
  if (language && !/^[a-z]{2}$/.test(language)) throw badRequest('invalid language code specified');
  const normalised = { type: scope.type, ...(scope.chat_id !== undefined ? { chat_id: String(scope.chat_id) } : {}), ...(scope.user_id !== undefined ? { user_id: String(scope.user_id) } : {}) };
  return `${JSON.stringify(normalised)}|${language}`;
}

/** The file a media method sends: an upload, `attach://name`, a known file_id, or an http(s) URL. */
function mediaFile(core: TelegramCore, p: Params, field: string, kind: FileKind): { file: StoredFile; uploaded: boolean } {
  const upload = p.files.get(field);
  if (upload) {
    return {
      file: core.files.add(kind, upload.bytes, { mimeType: upload.contentType, fileName: upload.filename, ...(kind === 'photo' ? { ext: imageSize(upload.bytes)?.ext ?? 'jpg' } : {}) }),
      uploaded: true,
    };
  }
  const value = p.string(field);
  if (!value) throw badRequest(`there is no ${field} in the request`);
  if (value.startsWith('attach://')) {
    const attached = p.files.get(value.slice('attach://'.length));
    if (!attached) throw badRequest(`wrong file identifier/HTTP URL specified`);
    return { file: core.files.add(kind, attached.bytes, { mimeType: attached.contentType, fileName: attached.filename }), uploaded: true };
  }
  if (/^https?:\/\//i.test(value)) {
    if (isRejectedHttpUrl(value)) throw badRequest('failed to get HTTP URL content');
    const name = decodeURIComponent(new URL(value).pathname.split('/').pop() || 'file');
    const bytes = kind === 'photo' ? placeholderPng(320, 240, 7) : Buffer.alloc(0);
    return { file: core.files.add(kind, bytes, { fileName: name, sourceUrl: value, ...(kind === 'photo' ? { ext: 'png', mimeType: 'image/png' } : {}) }), uploaded: true };
  }
  const known = core.files.get(value);
  if (!known) throw badRequest('wrong file identifier/HTTP URL specified');
  if (known.kind !== kind && !(kind === 'document' && known.kind !== 'photo')) {
    throw badRequest(`can't use file of type ${capitalise(known.kind)} as ${capitalise(kind)}`);
  }
  return { file: known, uploaded: false };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
}

function captionFields(p: Params): { fields: Partial<TgMessage>; source: { caption?: string; parse_mode?: string } } {
  const caption = p.string('caption');
  if (caption === undefined) return { fields: {}, source: {} };
  const formatted = formatText(caption, p.string('parse_mode'), {
    field: 'caption',
    maxLength: CAPTION_LIMIT,
    explicitEntities: explicitEntities(p, 'caption_entities'),
    allowEmpty: true,
  });
  return {
    fields: formatted.text ? { caption: formatted.text, ...(formatted.entities.length ? { caption_entities: formatted.entities } : {}) } : {},
    source: { caption, ...(p.has('parse_mode') ? { parse_mode: p.string('parse_mode') } : {}) },
  };
}

function sendMedia(field: string, kind: FileKind): Handler {
  return (core, p) => {
    const state = core.chatForBot(p.chatId());
    const caption = captionFields(p);
    const markup = markupFields(parseReplyMarkup(p.values.reply_markup));
    const { file, uploaded } = mediaFile(core, p, field, kind);
    let content: Partial<TgMessage>;
    switch (kind) {
      case 'photo': {
        const size = imageSize(file.bytes);
        if (!size) throw badRequest('IMAGE_PROCESS_FAILED');
        const photo = uploaded
          ? core.files.addPhoto(file.bytes, size)
          : [{ file_id: file.file_id, file_unique_id: file.file_unique_id, width: file.width ?? size.width, height: file.height ?? size.height, file_size: file.bytes.length }];
        content = { photo };
        break;
      }
      case 'voice': {
        const duration = p.int('duration') ?? file.duration ?? oggOpusDuration(file.bytes) ?? 1;
        content = { voice: { duration, mime_type: file.mime_type, file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.bytes.length } };
        break;
      }
      case 'audio': {
        const duration = p.int('duration') ?? 0;
        content = { audio: { duration, file_name: file.file_name, mime_type: file.mime_type, file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.bytes.length } };
        break;
      }
      default:
        content = {
          document: { file_name: file.file_name ?? 'file', mime_type: file.mime_type, file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.bytes.length },
        };
    }
    return botSend(core, state, p, { ...content, ...caption.fields, ...markup.inline }, { ...markup.extra, source: caption.source });
  };
}

// ------------------------------------------------------------------------------------------------
// Methods

const METHODS: Record<string, Handler> = {
  getme: (core) => structuredClone(core.bot),
  logout: () => true,
  close: () => true,

  getupdates: async (core, p, signal) => {
    const allowed = p.json('allowed_updates', 'allowed updates');
    return core.updates.getUpdates(
      {
        offset: p.int('offset'),
        limit: p.int('limit'),
        timeout: p.int('timeout'),
        ...(Array.isArray(allowed) ? { allowedUpdates: allowed.map(String) } : {}),
      },
      signal,
    );
  },

  setwebhook: (core, p) => {
    const allowed = p.json('allowed_updates', 'allowed updates');
    const description = core.updates.setWebhook({
      url: p.string('url') ?? '',
      ...(p.has('secret_token') ? { secretToken: p.string('secret_token') } : {}),
      ...(p.has('max_connections') ? { maxConnections: p.int('max_connections') } : {}),
      ...(Array.isArray(allowed) ? { allowedUpdates: allowed.map(String) } : {}),
      ...(p.has('ip_address') ? { ipAddress: p.string('ip_address') } : {}),
      dropPendingUpdates: p.bool('drop_pending_updates'),
      hasCertificate: p.files.has('certificate'),
    });
    return new Answer(true, description);
  },
  deletewebhook: (core, p) => new Answer(true, core.updates.deleteWebhook(p.bool('drop_pending_updates'))),
  getwebhookinfo: (core) => core.updates.webhookInfo(),

  sendmessage: (core, p) => {
    const state = core.chatForBot(p.chatId());
    const text = p.string('text');
    if (text === undefined) throw badRequest('message text is empty');
    const formatted = formatText(text, p.string('parse_mode'), { field: 'text', maxLength: TEXT_LIMIT, explicitEntities: explicitEntities(p, 'entities') });
    const markup = markupFields(parseReplyMarkup(p.values.reply_markup));
    return botSend(
      core,
      state,
      p,
      { text: formatted.text, ...(formatted.entities.length ? { entities: formatted.entities } : {}), ...markup.inline },
      { ...markup.extra, source: { text, ...(p.has('parse_mode') ? { parse_mode: p.string('parse_mode') } : {}) } },
    );
  },

  editmessagetext: (core, p) => {
    const { state, record } = editable(core, p);
    const text = p.string('text');
    if (text === undefined) throw badRequest('text must be non-empty');
    if (record.message.text === undefined) throw badRequest('there is no text in the message to edit');
    const formatted = formatText(text, p.string('parse_mode'), { field: 'text', maxLength: TEXT_LIMIT, explicitEntities: explicitEntities(p, 'entities') });
    const replyMarkup = inlineOnly(parseReplyMarkup(p.values.reply_markup));
    const next = structuredClone(record.message);
    next.text = formatted.text;
    setOrDelete(next, 'entities', formatted.entities);
    // Like Telegram: an edit without reply_markup removes the inline keyboard.
    setOrDelete(next, 'reply_markup', replyMarkup);
    if (sameJson(next.text, record.message.text) && sameJson(next.entities, record.message.entities) && sameJson(next.reply_markup, record.message.reply_markup)) {
      throw badRequest(NOT_MODIFIED);
    }
    core.takeFlood(state);
    core.chats.edit(state, record, next, { text, ...(p.has('parse_mode') ? { parse_mode: p.string('parse_mode') } : {}) });
    return structuredClone(record.message);
  },

  editmessagecaption: (core, p) => {
    const { state, record } = editable(core, p);
    if (!record.message.photo && !record.message.document && !record.message.voice && !record.message.audio) {
      throw badRequest('there is no caption in the message to edit');
    }
    const caption = captionFields(p);
    const replyMarkup = inlineOnly(parseReplyMarkup(p.values.reply_markup));
    const next = structuredClone(record.message);
    setOrDelete(next, 'caption', caption.fields.caption);
    setOrDelete(next, 'caption_entities', caption.fields.caption_entities);
    setOrDelete(next, 'reply_markup', replyMarkup);
    if (sameJson(next.caption, record.message.caption) && sameJson(next.caption_entities, record.message.caption_entities) && sameJson(next.reply_markup, record.message.reply_markup)) {
      throw badRequest(NOT_MODIFIED);
    }
    core.takeFlood(state);
    core.chats.edit(state, record, next, caption.source);
    return structuredClone(record.message);
  },

  editmessagereplymarkup: (core, p) => {
    const { state, record } = editable(core, p);
    const replyMarkup = inlineOnly(parseReplyMarkup(p.values.reply_markup));
    if (sameJson(replyMarkup, record.message.reply_markup)) throw badRequest(NOT_MODIFIED);
    const next = structuredClone(record.message);
    setOrDelete(next, 'reply_markup', replyMarkup);
    core.takeFlood(state);
    core.chats.edit(state, record, next);
    return structuredClone(record.message);
  },

  deletemessage: (core, p) => {
    const state = core.chatForBot(p.chatId());
    const messageId = p.int('message_id');
    if (messageId === undefined) throw badRequest('message identifier is not specified');
    const record = state.byId.get(messageId);
    if (!record || record.deleted) throw badRequest('message to delete not found');
    core.chats.remove(state, record);
    return true;
  },

  deletemessages: (core, p) => {
    const state = core.chatForBot(p.chatId());
    const ids = p.json('message_ids', 'message identifiers');
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) throw badRequest('message identifiers are not specified');
    let removed = 0;
    for (const id of ids) {
      const record = state.byId.get(Number(id));
      if (record && !record.deleted) {
        core.chats.remove(state, record);
        removed++;
      }
    }
    if (removed === 0) throw badRequest('message to delete not found');
    return true;
  },

  answercallbackquery: (core, p) => {
    const id = p.string('callback_query_id');
    if (!id) throw badRequest('QUERY_ID_INVALID');
    const hit = core.chats.findCallback(id);
    if (!hit || hit.record.answer) throw badRequest('query is too old and response timeout expired or query ID is invalid');
    const text = p.string('text');
    if (text !== undefined && text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
    const cacheTime = p.int('cache_time');
    core.chats.answerCallback(hit.state, hit.record, {
      at: core.now(),
      ...(text !== undefined && text !== '' ? { text } : {}),
      ...(p.bool('show_alert') ? { show_alert: true } : {}),
      ...(p.has('url') ? { url: p.string('url') } : {}),
      ...(cacheTime !== undefined ? { cache_time: cacheTime } : {}),
    });
    return true;
  },

  sendchataction: (core, p) => {
    const state = core.chatForBot(p.chatId());
    const action = p.string('action');
    if (!action) throw badRequest('action is empty');
    if (!CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
    core.chats.addAction(state, action);
    return true;
  },

  sendphoto: sendMedia('photo', 'photo'),
  senddocument: sendMedia('document', 'document'),
  sendvoice: sendMedia('voice', 'voice'),
  sendaudio: sendMedia('audio', 'audio'),
  sendvideo: sendMedia('video', 'video'),
  sendanimation: sendMedia('animation', 'animation'),
  sendvideonote: sendMedia('video_note', 'video_note'),

  sendlocation: (core, p) => {
    const state = core.chatForBot(p.chatId());
    const latitude = p.number('latitude');
    const longitude = p.number('longitude');
    if (latitude === undefined || longitude === undefined || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) throw badRequest('wrong latitude or longitude specified');
    const markup = markupFields(parseReplyMarkup(p.values.reply_markup));
    return botSend(core, state, p, { location: { latitude, longitude }, ...markup.inline }, markup.extra);
  },

  sendcontact: (core, p) => {
    const state = core.chatForBot(p.chatId());
    const phone = p.string('phone_number');
    const firstName = p.string('first_name');
    if (!phone) throw badRequest('phone number is empty');
    if (!firstName) throw badRequest('first name is empty');
    const markup = markupFields(parseReplyMarkup(p.values.reply_markup));
    return botSend(
      core,
      state,
      p,
      { contact: { phone_number: phone, first_name: firstName, ...(p.has('last_name') ? { last_name: p.string('last_name') } : {}) }, ...markup.inline },
      markup.extra,
    );
  },

  getfile: (core, p) => {
    const id = p.string('file_id');
    if (!id) throw badRequest('file_id is empty');
    const file = core.files.get(id);
    if (!file) throw badRequest('invalid file_id');
    if (file.bytes.length > MAX_DOWNLOAD_BYTES) throw badRequest('file is too big');
    return core.files.toTgFile(file);
  },

  getchat: (core, p) => {
    const state = core.chatForBot(p.chatId());
    return { ...state.chat, accent_color_id: 0, max_reaction_count: 11 };
  },

  getchatmember: (core, p) => {
    const state = core.chatForBot(p.chatId());
    const userId = p.int('user_id');
    if (userId === core.bot.id) return { status: 'member', user: botFrom(core) };
    if (userId !== state.user.id) throw badRequest('user not found');
    return { status: 'member', user: structuredClone(state.user) };
  },

  pinchatmessage: (core, p) => {
    core.chatForBot(p.chatId());
    return true;
  },
  unpinchatmessage: (core, p) => {
    core.chatForBot(p.chatId());
    return true;
  },

  setmycommands: (core, p) => {
    const raw = p.json('commands', 'bot commands');
    if (!Array.isArray(raw)) throw badRequest("can't parse commands JSON object");
    if (raw.length > 100) throw badRequest('too many commands specified');
    const commands: TgBotCommand[] = raw.map((c) => {
      const item = c as { command?: unknown; description?: unknown };
      if (typeof item.command !== 'string' || typeof item.description !== 'string') throw badRequest("can't parse BotCommand: Field \"command\" must be of type String");
      const command = item.command.replace(/^\//, '');
      if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest('BOT_COMMAND_INVALID');
      const description = item.description.trim();
      if (description.length < 1 || description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
      return { command, description };
    });
    const key = commandsKey(p);
    if (commands.length) core.commands.set(key, commands);
    else core.commands.delete(key);
    return true;
  },
  getmycommands: (core, p) => structuredClone(core.commands.get(commandsKey(p)) ?? []),
  deletemycommands: (core, p) => {
    core.commands.delete(commandsKey(p));
    return true;
  },
};

/** Carries out one method call; used by the HTTP route and by webhook answers. */
export async function callMethod(core: TelegramCore, method: string, p: Params, signal: AbortSignal): Promise<Answer> {
  const name = method.toLowerCase();
  const handler = METHODS[name];
  if (!handler) {
    if (NOT_MODELLED.includes(name)) throw badRequest(`method ${method} is not modelled by the Telegram sandbox`);
    throw new BotApiError(404, 'Not Found');
  }
  core.calls.set(name, (core.calls.get(name) ?? 0) + 1);
  core.takeMethodFault(name);
  const result = await handler(core, p, signal);
  return result instanceof Answer ? result : new Answer(result);
}

function checkToken(core: TelegramCore, token: string): void {
  if (token === core.token) return;
  // Telegram answers 404 for a token that is not even shaped like one, 401 for an unknown one.
  if (!/^\d+:[A-Za-z0-9_-]+$/.test(token)) throw new BotApiError(404, 'Not Found');
  throw new BotApiError(401, 'Unauthorized');
}

function sendError(res: Response, error: unknown): void {
  if (res.headersSent) return;
  if (error instanceof BotApiError) {
    if (error.parameters?.retry_after !== undefined) res.setHeader('Retry-After', String(error.parameters.retry_after));
    res.status(error.errorCode).json(error.toJSON());
    return;
  }
  res.status(500).json({ ok: false, error_code: 500, description: `Internal Server Error: ${(error as Error)?.message ?? String(error)}` });
}

export function botApiRouter(core: TelegramCore): express.Router {
  const router = express.Router();

  router.all(/^\/bot([^/]+)\/(?:test\/)?([A-Za-z_]+)\/?$/, (req: Request, res: Response) => {
    const token = String(req.params[0]);
    const method = String(req.params[1]);
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) aborted.abort();
    });
    void (async () => {
      try {
        const { values, files } = await readMethodParams(req);
        // What the harness records as the request body.
        req.body = files.size
          ? { ...values, files: [...files.values()].map((f) => ({ field: f.field, filename: f.filename, contentType: f.contentType, size: f.bytes.length })) }
          : values;
        checkToken(core, token);
        const answer = await callMethod(core, method, new Params(values, files), aborted.signal);
        if (res.writableEnded || aborted.signal.aborted) return;
        res.json({ ok: true, result: answer.result, ...(answer.description ? { description: answer.description } : {}) });
      } catch (error) {
        sendError(res, error);
      }
    })();
  });

  router.get(/^\/file\/bot([^/]+)\/(?:test\/)?(.+)$/, (req: Request, res: Response) => {
    const token = String(req.params[0]);
    const filePath = String(req.params[1]);
    const file = token === core.token ? core.files.getByPath(filePath) : undefined;
    if (!file) {
      res.status(404).json({ ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    res.setHeader('Content-Type', file.mime_type);
    res.setHeader('Content-Length', String(file.bytes.length));
    res.end(file.bytes);
  });

  return router;
}
