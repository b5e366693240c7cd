import crypto from 'node:crypto';
import type {
  ChatType,
  SandboxUserInput,
  TgCallbackQuery,
  TgChat,
  TgMessage,
  TgUser,
  Transcript,
  TranscriptAction,
  TranscriptCallback,
  TranscriptMessage,
} from './types';

/**
 * Chats as the sandbox's "Telegram" sees them: who is in them, every message both ways (with
 * edits and deletions applied), button presses and their answers, chat actions. Each change bumps
 * the chat's revision and wakes whoever waits on it (the control API's long-poll, tests).
 */
export interface ChatState {
  chat: TgChat;
  /** The user who writes in this chat by default (for a private chat: the chat's owner). */
  user: TgUser;
  blocked: boolean;
  nextMessageId: number;
  readonly messages: TranscriptMessage[];
  readonly byId: Map<number, TranscriptMessage>;
  readonly callbacks: TranscriptCallback[];
  readonly actions: TranscriptAction[];
  revision: number;
  seq: number;
  readonly chatInstance: string;
}

export interface ChatInput extends SandboxUserInput {
  type?: ChatType;
  title?: string;
}

interface Waiter {
  chatId: number;
  check: () => boolean;
  wake: (value: boolean) => void;
}

const MAX_ACTIONS = 200;

export class ChatStore {
  private readonly chats = new Map<number, ChatState>();
  private readonly waiters = new Set<Waiter>();
  private readonly callbackIndex = new Map<string, { chatId: number; record: TranscriptCallback }>();
  private callbackCounter = 0;

  constructor(private readonly now: () => number) {}

  /** The chat with this id (or @username), creating a private chat or group when new. */
  ensure(chatId: number, input: ChatInput = {}): ChatState {
    let state = this.chats.get(chatId);
    const type: ChatType = input.type ?? state?.chat.type ?? (chatId < 0 ? (String(chatId).startsWith('-100') ? 'supergroup' : 'group') : 'private');
    const userId = input.userId ?? state?.user.id ?? (chatId > 0 ? chatId : 100_000_000 + (Math.abs(chatId) % 100_000_000));
    const user: TgUser = {
      id: userId,
      is_bot: false,
      first_name: input.firstName ?? (state?.user.id === userId ? state.user.first_name : undefined) ?? `Мастер ${userId}`,
      ...pick('last_name', input.lastName ?? (state?.user.id === userId ? state.user.last_name : undefined)),
      ...pick('username', input.username ?? (state?.user.id === userId ? state.user.username : undefined)),
      language_code: input.languageCode ?? state?.user.language_code ?? 'ru',
    };
    if (!state) {
      const chat: TgChat =
        type === 'private'
          ? { id: chatId, type, first_name: user.first_name, ...pick('last_name', user.last_name), ...pick('username', user.username) }
          : { id: chatId, type, title: input.title ?? `Группа ${chatId}` };
      state = {
        chat,
        user,
        blocked: false,
        nextMessageId: 1,
        messages: [],
        byId: new Map(),
        callbacks: [],
        actions: [],
        revision: 0,
        seq: 0,
        chatInstance: String(BigInt.asIntN(64, BigInt(`0x${crypto.createHash('sha256').update(String(chatId)).digest('hex').slice(0, 16)}`))),
      };
      this.chats.set(chatId, state);
      this.touch(state);
      return state;
    }
    const changed = JSON.stringify(state.user) !== JSON.stringify(user) || (input.title !== undefined && state.chat.title !== input.title);
    if (changed) {
      state.user = user;
      if (state.chat.type === 'private') {
        state.chat = { id: chatId, type: 'private', first_name: user.first_name, ...pick('last_name', user.last_name), ...pick('username', user.username) };
      } else if (input.title !== undefined) {
        state.chat = { ...state.chat, title: input.title };
      }
      this.touch(state);
    }
    return state;
  }

  /** A chat by id or by @username (the bot's own username is not a chat). */
  find(chatId: number | string): ChatState | undefined {
    if (typeof chatId === 'number') return this.chats.get(chatId);
    const wanted = chatId.replace(/^@/, '').toLowerCase();
    for (const state of this.chats.values()) {
      if (state.chat.username?.toLowerCase() === wanted) return state;
    }
    return undefined;
  }

  list(): ChatState[] {
    return [...this.chats.values()];
  }

  /** The user who sends this update: the chat's default user, overridden by the input. */
  sender(state: ChatState, input: SandboxUserInput = {}): TgUser {
    if (input.userId === undefined || input.userId === state.user.id) {
      if (input.firstName || input.lastName || input.username || input.languageCode) this.ensure(state.chat.id, { ...input, userId: state.user.id });
      return { ...state.user };
    }
    return {
      id: input.userId,
      is_bot: false,
      first_name: input.firstName ?? `Пользователь ${input.userId}`,
      ...pick('last_name', input.lastName),
      ...pick('username', input.username),
      language_code: input.languageCode ?? 'ru',
    };
  }

  addMessage(
    state: ChatState,
    direction: 'user' | 'bot',
    build: (messageId: number, date: number) => TgMessage,
    extra: Partial<Pick<TranscriptMessage, 'replyKeyboard' | 'source' | 'scriptedTranscript'>> = {},
  ): TranscriptMessage {
    const messageId = state.nextMessageId++;
    const record: TranscriptMessage = {
      seq: ++state.seq,
      direction,
      message: build(messageId, this.seconds()),
      edits: [],
      ...extra,
    };
    state.messages.push(record);
    state.byId.set(messageId, record);
    this.touch(state);
    return record;
  }

  /** Replaces the current message after an edit, keeping the old text in `edits`. */
  edit(state: ChatState, record: TranscriptMessage, next: TgMessage, source?: TranscriptMessage['source']): TranscriptMessage {
    const previous = record.message;
    record.edits.push({
      at: this.now(),
      ...pick('text', previous.text),
      ...pick('caption', previous.caption),
      ...pick('reply_markup', previous.reply_markup),
    });
    record.message = { ...next, edit_date: this.seconds() };
    if (source) record.source = { ...record.source, ...source };
    this.touch(state);
    return record;
  }

  remove(state: ChatState, record: TranscriptMessage): void {
    record.deleted = { at: this.now() };
    this.touch(state);
  }

  addCallback(state: ChatState, from: TgUser, message: TgMessage, data: string): TranscriptCallback {
    const id = (BigInt(from.id) * 1_000_000n + BigInt(++this.callbackCounter)).toString();
    const query: TgCallbackQuery = { id, from, message: structuredClone(message), chat_instance: state.chatInstance, data };
    const record: TranscriptCallback = { seq: ++state.seq, query, at: this.now() };
    state.callbacks.push(record);
    this.callbackIndex.set(id, { chatId: state.chat.id, record });
    this.touch(state);
    return record;
  }

  findCallback(id: string): { state: ChatState; record: TranscriptCallback } | undefined {
    const hit = this.callbackIndex.get(id);
    const state = hit && this.chats.get(hit.chatId);
    return hit && state ? { state, record: hit.record } : undefined;
  }

  answerCallback(state: ChatState, record: TranscriptCallback, answer: NonNullable<TranscriptCallback['answer']>): void {
    record.answer = answer;
    this.touch(state);
  }

  addAction(state: ChatState, action: string): void {
    state.actions.push({ seq: ++state.seq, action, at: this.now() });
    if (state.actions.length > MAX_ACTIONS) state.actions.splice(0, state.actions.length - MAX_ACTIONS);
    this.touch(state);
  }

  setBlocked(state: ChatState, blocked: boolean): void {
    state.blocked = blocked;
    this.touch(state);
  }

  transcript(state: ChatState): Transcript {
    return structuredClone({
      chat: state.chat,
      revision: state.revision,
      blocked: state.blocked,
      messages: state.messages,
      callbacks: state.callbacks,
      actions: state.actions,
    });
  }

  /**
   * Resolves true as soon as `check()` holds for the chat (checked now and after every change),
   * false after `timeoutMs` or when `signal` aborts.
   */
  waitFor(chatId: number, check: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (value: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = (): void => finish(false);
      const waiter: Waiter = { chatId, check, wake: (value) => finish(value) };
      const timer = setTimeout(() => finish(check()), Math.max(0, timeoutMs));
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Wakes every waiter (used on reset and stop). */
  wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter.wake(waiter.check());
  }

  reset(): void {
    this.chats.clear();
    this.callbackIndex.clear();
    this.wakeAll();
  }

  seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private touch(state: ChatState): void {
    state.revision++;
    for (const waiter of [...this.waiters]) {
      if (waiter.chatId === state.chat.id && waiter.check()) waiter.wake(true);
    }
  }
}

function pick<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
