import type { Express } from 'express';
import { FakeServer } from '../harness';
import { botApiRouter, callMethod } from './bot-api';
import { botMessagesAfter, controlRouter, lastUserMessageId } from './control';
import { ControlError, TelegramCore, type TelegramSandboxOptions } from './core';
import { telegramErrorBody } from './errors';
import { Params } from './params';
import type { RateLimits } from './rate-limit';
import type { ChatInput } from './store';
import type { SandboxUserInput, TgBotCommand, TgCallbackQuery, TgMessage, TgUpdate, TgWebhookInfo, Transcript, TranscriptCallback } from './types';
import { loginWidgetRouter } from './login-widget';
import { webChatRouter } from './web';

export { DEFAULT_SANDBOX_TOKEN, ControlError, type TelegramSandboxOptions } from './core';
export { readScriptedTranscript, makeScriptedVoice, TRANSCRIPT_TAG } from './ogg';
export { TelegramSandboxClient } from './client';
export type * from './types';

/**
 * A faithful local Telegram Bot API for the bot "Ассистент мастера": point the telegrambot config
 * node's `baseapiurl` (node-telegram-bot-api's `baseApiUrl`) at `sandbox.url` and use
 * `sandbox.token`. Users are simulated through the control API (`/__control/…`), the typed
 * methods below, or the web chat at `/chat`. See README.md in this folder.
 */
export class TelegramSandbox extends FakeServer {
  readonly core: TelegramCore;

  constructor(options: TelegramSandboxOptions = {}) {
    super({ name: 'telegram', errorBody: telegramErrorBody });
    this.core = new TelegramCore(options, async (params) => {
      const { method, ...rest } = params;
      try {
        await callMethod(this.core, String(method), new Params(rest), new AbortController().signal);
      } catch {
        // A method in a webhook answer that fails is dropped silently, as Telegram does.
      }
    });
    // Control routes and the web chat are for the people and tests driving the fake: they go
    // before the harness's recording and fault injection.
    this.app.use('/__control', controlRouter(this.core));
    this.app.use(webChatRouter(this.core));
    this.app.use(loginWidgetRouter(() => this.core.token));
    hoistLastLayers(this.app, 3);
    this.app.use(botApiRouter(this.core));
  }

  /** The bot token this sandbox accepts. */
  get token(): string {
    return this.core.token;
  }

  /** What to put in the telegrambot node's "baseapiurl" (node-telegram-bot-api `baseApiUrl`). */
  get apiBase(): string {
    return this.url;
  }

  methodUrl(method: string): string {
    return `${this.url}/bot${this.token}/${method}`;
  }

  fileUrl(filePath: string): string {
    return `${this.url}/file/bot${this.token}/${filePath}`;
  }

  override async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.core.updates.open();
    return super.start(port, host);
  }

  override async stop(): Promise<void> {
    this.core.updates.close();
    this.core.chats.wakeAll();
    await super.stop();
  }

  // ----------------------------------------------------------------------------------------------
  // A user's side (each mirrors a POST /__control/… route)

  /** POST /__control/messages: the user writes `text`; returns the message (the update is queued). */
  sendText(chatId: number, text: string, user: SandboxUserInput & { replyToMessageId?: number } = {}): TgMessage {
    return this.core.sendText(chatId, text, user).message;
  }

  /** POST /__control/voice: a scripted voice note saying `text` (or real Ogg bytes). */
  sendVoice(chatId: number, voice: string | { text?: string; ogg?: Buffer; duration?: number }, user: SandboxUserInput = {}): TgMessage {
    return this.core.sendVoice(chatId, typeof voice === 'string' ? { text: voice } : voice, user).message;
  }

  /** POST /__control/photo: a photo (a generated PNG unless `image` is given). */
  sendPhoto(chatId: number, photo: { image?: Buffer; caption?: string } = {}, user: SandboxUserInput = {}): TgMessage {
    return this.core.sendPhoto(chatId, photo, user).message;
  }

  /** POST /__control/document. */
  sendDocument(chatId: number, doc: { bytes: Buffer; fileName: string; mimeType?: string; caption?: string }, user: SandboxUserInput = {}): TgMessage {
    return this.core.sendDocument(chatId, doc, user).message;
  }

  /** POST /__control/location. */
  sendLocation(chatId: number, latitude: number, longitude: number, user: SandboxUserInput = {}): TgMessage {
    return this.core.sendLocation(chatId, { latitude, longitude }, user).message;
  }

  /** POST /__control/contact: the user shares their own phone number. */
  sendContact(chatId: number, phoneNumber: string, user: SandboxUserInput = {}): TgMessage {
    return this.core.sendContact(chatId, { phoneNumber }, user).message;
  }

  /**
   * POST /__control/callback: presses an inline button, found by callback_data (`data`) or label
   * (`text`), on `messageId` or else the newest bot message that has it. Returns the callback query.
   */
  pressButton(chatId: number, press: { messageId?: number; data?: string; text?: string; force?: boolean }, user: SandboxUserInput = {}): TgCallbackQuery {
    return this.core.pressButton(chatId, press, user).callback.query;
  }

  /** POST /__control/chats: makes a chat exist (e.g. an ops group) before the bot writes to it. */
  ensureChat(chatId: number, chat: ChatInput = {}): void {
    this.core.chats.ensure(chatId, chat);
  }

  /** POST /__control/chats/:id/block: the user blocks (or unblocks) the bot → 403 on sends. */
  blockChat(chatId: number, blocked = true): void {
    const state = this.core.chats.find(chatId);
    if (!state) throw new ControlError(404, `chat ${chatId} not found`);
    this.core.chats.setBlocked(state, blocked);
  }

  // ----------------------------------------------------------------------------------------------
  // Reading what happened

  /** GET /__control/chats/:id/messages: the whole chat, edits applied, deletions flagged. */
  transcript(chatId: number): Transcript {
    const state = this.core.chats.find(chatId);
    if (!state) throw new ControlError(404, `chat ${chatId} not found`);
    return this.core.chats.transcript(state);
  }

  /** The bot's messages in the chat as they are now (deleted ones left out). */
  botMessages(chatId: number): TgMessage[] {
    const state = this.core.chats.find(chatId);
    return state ? botMessagesAfter(this.core.chats.transcript(state), 0) : [];
  }

  /** The answer the bot gave to a button press (answerCallbackQuery), if any yet. */
  callbackAnswer(callbackQueryId: string): TranscriptCallback['answer'] {
    return structuredClone(this.core.chats.findCallback(callbackQueryId)?.record.answer);
  }

  /**
   * GET /__control/chats/:id/wait: the first bot message newer than `after` (default: the newest
   * user message of the chat at call time). Rejects after `timeoutMs` (default 5000) with the
   * chat's tail in the error, so a failing test shows what the bot did say.
   */
  async waitForBotMessage(chatId: number, options: { after?: number; timeoutMs?: number } = {}): Promise<TgMessage> {
    const [first] = await this.waitForBotMessages(chatId, { ...options, count: 1 });
    return first;
  }

  /** Waits until the bot has sent `count` (default 1) messages newer than `after`; returns them all. */
  async waitForBotMessages(chatId: number, options: { after?: number; count?: number; timeoutMs?: number } = {}): Promise<TgMessage[]> {
    const after = options.after ?? lastUserMessageId(this.core.chats.find(chatId));
    const count = options.count ?? 1;
    const timeoutMs = options.timeoutMs ?? 5000;
    const newer = (): TgMessage[] => {
      const state = this.core.chats.find(chatId);
      return state ? botMessagesAfter(this.core.chats.transcript(state), after) : [];
    };
    const ok = await this.core.chats.waitFor(chatId, () => newer().length >= count, timeoutMs);
    if (!ok) {
      const state = this.core.chats.find(chatId);
      const tail = state
        ? state.messages
            .slice(-6)
            .map((m) => `  #${m.message.message_id} ${m.direction}${m.deleted ? ' (deleted)' : ''}: ${m.message.text ?? m.message.caption ?? '[media]'}`)
            .join('\n')
        : '  (no such chat)';
      throw new Error(`telegram sandbox: no ${count} bot message(s) after #${after} in chat ${chatId} within ${timeoutMs} ms; chat tail:\n${tail}`);
    }
    return newer().slice(0, count);
  }

  /** Resolves with the transcript once anything in the chat changes after `afterRevision`. */
  async waitForChange(chatId: number, options: { afterRevision: number; timeoutMs?: number }): Promise<Transcript> {
    const ok = await this.core.chats.waitFor(chatId, () => (this.core.chats.find(chatId)?.revision ?? 0) > options.afterRevision, options.timeoutMs ?? 5000);
    if (!ok) throw new Error(`telegram sandbox: chat ${chatId} did not change after revision ${options.afterRevision}`);
    return this.transcript(chatId);
  }

  /** Updates queued and not yet confirmed by getUpdates (or not yet delivered to the webhook). */
  pendingUpdates(): TgUpdate[] {
    return this.core.updates.peek();
  }

  webhookInfo(): TgWebhookInfo {
    return this.core.updates.webhookInfo();
  }

  /** The bytes of a file (voice note, photo, document) by file_id. */
  file(fileId: string): Buffer | undefined {
    return this.core.files.get(fileId)?.bytes;
  }

  /** Commands set with setMyCommands for a scope (default scope, no language by default). */
  commands(scope: Record<string, unknown> = { type: 'default' }, languageCode = ''): TgBotCommand[] {
    const key = `${JSON.stringify({ type: scope.type, ...(scope.chat_id !== undefined ? { chat_id: String(scope.chat_id) } : {}), ...(scope.user_id !== undefined ? { user_id: String(scope.user_id) } : {}) })}|${languageCode}`;
    return structuredClone(this.core.commands.get(key) ?? []);
  }

  /**
   * POST /__control/faults {method, status, times, retryAfter?, description?}: the next `times`
   * calls of one Bot API method fail like Telegram would (e.g. getFile 500, sendMessage 429).
   */
  failNext(method: string, fault: { status?: number; description?: string; retryAfter?: number; times?: number } = {}): void {
    this.core.failNext(method, fault);
  }

  /** POST /__control/limits: tune or switch off (0) the flood limits; buckets start full again. */
  setRateLimits(patch: Partial<RateLimits>): RateLimits {
    return this.core.limiter.setLimits(patch);
  }

  /** POST /__control/reset: forget chats, updates, files, commands, webhook; limits from the options. */
  reset(): void {
    this.core.reset();
    this.clearRequests();
  }
}

export function createTelegramSandbox(options: TelegramSandboxOptions = {}): TelegramSandbox {
  return new TelegramSandbox(options);
}

/**
 * Moves the last `count` middleware layers of the app to the front (right after Express's own
 * query/init layers), ahead of the harness's recording and fault injection. Express 4 keeps the
 * stack on `app._router`; if that ever changes the routes still work, only recorded as traffic.
 */
function hoistLastLayers(app: Express, count: number): void {
  const stack = (app as unknown as { _router?: { stack?: Array<{ name?: string }> } })._router?.stack;
  if (!Array.isArray(stack) || stack.length < count) return;
  const moved = stack.splice(stack.length - count, count);
  const init = stack.findIndex((layer) => layer.name === 'expressInit');
  stack.splice(init + 1, 0, ...moved);
}
