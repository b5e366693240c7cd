import { BotApiError } from './errors';
import { FileStore, mimeFromName, type StoredFile } from './files';
import { imageSize, placeholderPng } from './images';
import { findInlineButton } from './keyboard';
import { withAutoEntities } from './markup';
import { estimateDuration, isOgg, makeScriptedVoice, oggOpusDuration } from './ogg';
import { DEFAULT_LIMITS, RateLimiter, type RateLimits } from './rate-limit';
import { ChatStore, type ChatInput, type ChatState } from './store';
import type { SandboxUserInput, TgBotCommand, TgBotUser, TgMessage, TgUpdate, TranscriptCallback, TranscriptMessage } from './types';
import { UpdateQueue } from './updates';

/** The token the sandbox accepts unless told otherwise (bot id 7000000001). */
export const DEFAULT_SANDBOX_TOKEN = '7000000001:AAF_sandbox-AssistantMastera-0000000';

export interface TelegramSandboxOptions {
  /** The bot token the API accepts (`/bot<token>/…`); others get 401 Unauthorized. */
  token?: string;
  /** Clock in ms (message dates, rate limits); injectable so tests control time. */
  now?: () => number;
  /** Per-chat flood limit, messages a second (default 1; 0 = off). */
  maxPerChatPerSecond?: number;
  /** Burst a chat may take before the per-chat rate applies (default 3). */
  burstPerChat?: number;
  /** Global flood limit, messages a second (default 30; 0 = off). */
  maxGlobalPerSecond?: number;
  /** Group chats: messages a minute (default 20; 0 = off). */
  maxPerGroupPerMinute?: number;
  /** getMe: the bot's name and username. */
  botName?: string;
  botUsername?: string;
  /** update_id of the first update (default 100000001). */
  firstUpdateId?: number;
  /** Webhook delivery: first retry delay (ms, default 1000, doubling to 60 s) and receiver timeout (ms, default 60 s). */
  webhookRetryMs?: number;
  webhookTimeoutMs?: number;
  /** Enforce Telegram's webhook URL rules (HTTPS, ports 443/80/88/8443). Default false: local receivers are http. */
  strictWebhookUrls?: boolean;
  /** Chats that exist from the start (e.g. the ops group the alerts go to). */
  chats?: Array<ChatInput & { id: number }>;
}

/** A control-API refusal (not a Bot API error): `{ok:false, error}` with an HTTP status. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

/** A planned Bot API failure: the next `times` calls of a method answer this error. */
export interface MethodFault {
  status: number;
  description: string;
  retryAfter?: number;
  times: number;
}

export interface Injected {
  readonly update: TgUpdate | undefined;
  readonly message: TgMessage;
}

export class TelegramCore {
  readonly token: string;
  readonly bot: TgBotUser;
  readonly now: () => number;
  readonly chats: ChatStore;
  readonly updates: UpdateQueue;
  readonly files = new FileStore();
  readonly limiter: RateLimiter;
  /** Bot commands by `${scope JSON}|${language_code}`. */
  readonly commands = new Map<string, TgBotCommand[]>();
  /** Method calls by lower-cased name, for tests. */
  readonly calls = new Map<string, number>();
  /** Failures planned for the next calls of a method (lower-cased name), see failNext. */
  readonly methodFaults = new Map<string, MethodFault>();
  private readonly seedChats: Array<ChatInput & { id: number }>;
  private photoCounter = 0;

  constructor(
    readonly options: TelegramSandboxOptions = {},
    onWebhookReply?: (params: Record<string, unknown>) => Promise<void>,
  ) {
    this.token = options.token ?? DEFAULT_SANDBOX_TOKEN;
    if (!/^\d+:[A-Za-z0-9_-]+$/.test(this.token)) throw new Error(`telegram sandbox: malformed bot token ${JSON.stringify(this.token)}`);
    this.now = options.now ?? Date.now;
    this.bot = {
      id: Number(this.token.split(':')[0]),
      is_bot: true,
      first_name: options.botName ?? 'Ассистент мастера',
      username: options.botUsername ?? 'master_assistant_sandbox_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    };
    this.chats = new ChatStore(this.now);
    this.limiter = new RateLimiter(this.initialLimits(), this.now);
    this.updates = new UpdateQueue({
      now: this.now,
      firstUpdateId: options.firstUpdateId,
      webhookRetryMs: options.webhookRetryMs,
      webhookTimeoutMs: options.webhookTimeoutMs,
      strictWebhookUrls: options.strictWebhookUrls,
      onWebhookReply,
    });
    this.seedChats = options.chats ?? [];
    this.seed();
  }

  private initialLimits(): RateLimits {
    const o = this.options;
    return {
      maxPerChatPerSecond: o.maxPerChatPerSecond ?? DEFAULT_LIMITS.maxPerChatPerSecond,
      burstPerChat: o.burstPerChat ?? DEFAULT_LIMITS.burstPerChat,
      maxGlobalPerSecond: o.maxGlobalPerSecond ?? DEFAULT_LIMITS.maxGlobalPerSecond,
      maxPerGroupPerMinute: o.maxPerGroupPerMinute ?? DEFAULT_LIMITS.maxPerGroupPerMinute,
    };
  }

  private seed(): void {
    for (const chat of this.seedChats) this.chats.ensure(chat.id, chat);
  }

  /** Forgets chats, updates, files, commands and the webhook; limits go back to the options. */
  reset(): void {
    this.chats.reset();
    this.updates.reset();
    this.files.clear();
    this.commands.clear();
    this.calls.clear();
    this.methodFaults.clear();
    this.limiter.setLimits(this.initialLimits());
    this.seed();
  }

  // ----------------------------------------------------------------------------------------------
  // What users do (control API and TS API)

  private chatForUser(chatId: number, user: SandboxUserInput): { state: ChatState; from: TgMessage['from'] } {
    if (!Number.isSafeInteger(chatId) || chatId === 0) throw new ControlError(400, 'chatId must be a non-zero integer');
    const state = this.chats.ensure(chatId, user);
    if (state.blocked) this.chats.setBlocked(state, false); // writing to the bot again unblocks it
    return { state, from: this.chats.sender(state, user) };
  }

  private replyTo(state: ChatState, replyToMessageId: number | undefined): Pick<TgMessage, 'reply_to_message'> {
    if (replyToMessageId === undefined) return {};
    const target = state.byId.get(replyToMessageId);
    if (!target || target.deleted) throw new ControlError(404, `message ${replyToMessageId} not found in chat ${state.chat.id}`);
    const { reply_to_message: _nested, ...rest } = target.message;
    return { reply_to_message: structuredClone(rest) };
  }

  private userMessage(
    chatId: number,
    user: SandboxUserInput & { replyToMessageId?: number },
    content: (state: ChatState) => Partial<TgMessage>,
    extra: Partial<Pick<TranscriptMessage, 'scriptedTranscript'>> = {},
  ): Injected {
    const { state, from } = this.chatForUser(chatId, user);
    const reply = this.replyTo(state, user.replyToMessageId);
    const body = content(state);
    const record = this.chats.addMessage(
      state,
      'user',
      (messageId, date) => ({ message_id: messageId, from, chat: { ...state.chat }, date, ...reply, ...body }),
      extra,
    );
    const update = this.updates.push({ message: structuredClone(record.message) });
    return { update, message: structuredClone(record.message) };
  }

  sendText(chatId: number, text: string, user: SandboxUserInput & { replyToMessageId?: number } = {}): Injected {
    if (typeof text !== 'string' || !text.trim()) throw new ControlError(400, 'text must be a non-empty string');
    if (text.length > 4096) throw new ControlError(400, 'a user message is at most 4096 characters');
    return this.userMessage(chatId, user, () => {
      const entities = withAutoEntities(text);
      return { text, ...(entities.length ? { entities } : {}) };
    });
  }

  /**
   * A voice note. With `text` the sandbox makes a scripted Ogg Opus file carrying it (see ogg.ts);
   * with `ogg` it stores those bytes as they are.
   */
  sendVoice(chatId: number, input: { text?: string; ogg?: Buffer; duration?: number }, user: SandboxUserInput & { replyToMessageId?: number } = {}): Injected & { file: StoredFile } {
    let bytes: Buffer;
    if (input.ogg) {
      if (!isOgg(input.ogg)) throw new ControlError(400, 'voice bytes are not an Ogg file');
      bytes = input.ogg;
    } else if (typeof input.text === 'string' && input.text.trim()) {
      bytes = makeScriptedVoice(input.text, input.duration ?? estimateDuration(input.text));
    } else {
      throw new ControlError(400, 'a voice note needs text (scripted) or ogg bytes');
    }
    const duration = Math.max(1, Math.round(input.duration ?? oggOpusDuration(bytes) ?? estimateDuration(input.text ?? '')));
    const file = this.files.add('voice', bytes, { mimeType: 'audio/ogg', ext: 'oga', duration });
    const injected = this.userMessage(
      chatId,
      user,
      () => ({ voice: { duration, mime_type: 'audio/ogg', file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: bytes.length } }),
      input.text !== undefined && !input.ogg ? { scriptedTranscript: input.text } : {},
    );
    return { ...injected, file };
  }

  /** A photo; without `image` a generated placeholder PNG is used. */
  sendPhoto(chatId: number, input: { image?: Buffer; caption?: string }, user: SandboxUserInput & { replyToMessageId?: number } = {}): Injected {
    const bytes = input.image ?? placeholderPng(320, 240, ++this.photoCounter);
    const size = imageSize(bytes);
    if (!size) throw new ControlError(400, 'photo bytes are not a PNG, JPEG, GIF or WebP image');
    const photo = this.files.addPhoto(bytes, size);
    return this.userMessage(chatId, user, () => ({ photo, ...(input.caption ? { caption: input.caption } : {}) }));
  }

  sendDocument(
    chatId: number,
    input: { bytes: Buffer; fileName: string; mimeType?: string; caption?: string },
    user: SandboxUserInput & { replyToMessageId?: number } = {},
  ): Injected {
    const mimeType = input.mimeType ?? mimeFromName(input.fileName);
    const file = this.files.add('document', input.bytes, { mimeType, fileName: input.fileName });
    return this.userMessage(chatId, user, () => ({
      document: { file_name: input.fileName, mime_type: mimeType, file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: input.bytes.length },
      ...(input.caption ? { caption: input.caption } : {}),
    }));
  }

  sendLocation(chatId: number, input: { latitude: number; longitude: number; horizontalAccuracy?: number }, user: SandboxUserInput = {}): Injected {
    const { latitude, longitude } = input;
    if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) throw new ControlError(400, 'latitude/longitude out of range');
    return this.userMessage(chatId, user, () => ({
      location: { latitude, longitude, ...(input.horizontalAccuracy !== undefined ? { horizontal_accuracy: input.horizontalAccuracy } : {}) },
    }));
  }

  /** The user shares a contact (by default their own, as a "request_contact" button does). */
  sendContact(chatId: number, input: { phoneNumber: string; firstName?: string; lastName?: string; own?: boolean }, user: SandboxUserInput = {}): Injected {
    if (!input.phoneNumber) throw new ControlError(400, 'phoneNumber is required');
    return this.userMessage(chatId, user, (state) => {
      const from = this.chats.sender(state, user);
      const own = input.own !== false;
      const lastName = input.lastName ?? (own ? from.last_name : undefined);
      return {
        contact: {
          phone_number: input.phoneNumber,
          first_name: input.firstName ?? from.first_name,
          ...(lastName ? { last_name: lastName } : {}),
          ...(own ? { user_id: from.id } : {}),
        },
      };
    });
  }

  /**
   * The user presses an inline button. The message defaults to the newest bot message with an
   * inline keyboard; the button is found by callback_data or by its label. Only buttons that are
   * really on the message can be pressed (unless `force`), as in a Telegram client.
   */
  pressButton(
    chatId: number,
    press: { messageId?: number; data?: string; text?: string; force?: boolean },
    user: SandboxUserInput = {},
  ): { update: TgUpdate | undefined; callback: TranscriptCallback } {
    const state = this.chats.find(chatId);
    if (!state) throw new ControlError(404, `chat ${chatId} not found`);
    if (press.data === undefined && press.text === undefined) throw new ControlError(400, 'give the button by data or text');
    let record: TranscriptMessage | undefined;
    if (press.messageId !== undefined) {
      record = state.byId.get(press.messageId);
      if (!record) throw new ControlError(404, `message ${press.messageId} not found in chat ${chatId}`);
    } else {
      record = [...state.messages]
        .reverse()
        .find((m) => m.direction === 'bot' && !m.deleted && m.message.reply_markup && findInlineButton(m.message.reply_markup, press));
      if (!record) throw new ControlError(404, `no bot message in chat ${chatId} has a button ${JSON.stringify(press.data ?? press.text)}`);
    }
    if (record.deleted) throw new ControlError(410, `message ${record.message.message_id} was deleted`);
    if (record.direction !== 'bot') throw new ControlError(400, `message ${record.message.message_id} is not from the bot`);
    const button = findInlineButton(record.message.reply_markup, press);
    let data: string;
    if (button) {
      if (button.callback_data === undefined) {
        throw new ControlError(400, `button "${button.text}" has no callback_data (a URL/Web App button opens a link, no update is sent)`);
      }
      data = button.callback_data;
    } else if (press.force && press.data !== undefined) {
      data = press.data;
    } else {
      throw new ControlError(404, `message ${record.message.message_id} has no button ${JSON.stringify(press.data ?? press.text)}`);
    }
    const from = this.chats.sender(state, user);
    const callback = this.chats.addCallback(state, from, record.message, data);
    const update = this.updates.push({ callback_query: structuredClone(callback.query) });
    return { update, callback: structuredClone(callback) };
  }

  /**
   * Makes the next `times` calls of `method` fail with `status` (Telegram's usual description for
   * it unless given; 429 carries retry_after). For testing a flow's error paths per method, where
   * FakeServer.setFaults hits every call.
   */
  failNext(method: string, fault: { status?: number; description?: string; retryAfter?: number; times?: number } = {}): MethodFault {
    const status = fault.status ?? 500;
    const retryAfter = status === 429 ? (fault.retryAfter ?? 5) : undefined;
    const defaults: Record<number, string> = {
      400: 'Bad Request',
      403: 'Forbidden: bot was blocked by the user',
      429: `Too Many Requests: retry after ${retryAfter}`,
      500: 'Internal Server Error',
      502: 'Bad Gateway',
    };
    const planned: MethodFault = {
      status,
      description: fault.description ?? defaults[status] ?? `Error ${status}`,
      times: Math.max(1, fault.times ?? 1),
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    };
    this.methodFaults.set(method.toLowerCase(), planned);
    return planned;
  }

  /** Throws the planned failure for this call, if any is left. */
  takeMethodFault(method: string): void {
    const fault = this.methodFaults.get(method);
    if (!fault) return;
    if (--fault.times <= 0) this.methodFaults.delete(method);
    throw new BotApiError(fault.status, fault.description, fault.retryAfter !== undefined ? { retry_after: fault.retryAfter } : undefined);
  }

  // ----------------------------------------------------------------------------------------------
  // What the bot side needs

  /** The chat a bot method addresses: 400 chat not found / 403 when the user blocked the bot. */
  chatForBot(chatId: number | string): ChatState {
    const state = this.chats.find(chatId);
    if (!state) throw new BotApiError(400, 'Bad Request: chat not found');
    if (state.blocked) throw new BotApiError(403, 'Forbidden: bot was blocked by the user');
    return state;
  }

  /** A flood check for one message into this chat; throws 429 with retry_after. */
  takeFlood(state: ChatState): void {
    const wait = this.limiter.take(String(state.chat.id), state.chat.type === 'group' || state.chat.type === 'supergroup');
    if (wait !== undefined) throw new BotApiError(429, `Too Many Requests: retry after ${wait}`, { retry_after: wait });
  }
}
