import { randomUUID } from 'node:crypto';
import { settingsOf, type AssistantContext, type AssistantSettings } from './context';
import { h, isButtonUrlAllowed, type Html } from './html';
import { portErrorKind, type AssistantUser } from './ports';
import type { ChatState } from './state-store';
import { T } from './texts';
import type { IncomingUpdate, InlineButton, OutgoingMessage, ReplyMarkup } from './types';

export type Keyboard = readonly (readonly InlineButton[])[];

export interface SendOptions {
  readonly keyboard?: Keyboard;
  /** A reply keyboard (e.g. "send my number"), or `remove` to take it away. */
  readonly replyMarkup?: ReplyMarkup;
  readonly disableLinkPreview?: boolean;
}

/**
 * One update being handled: the chat's state (mutated in place, saved at the end), the answers
 * collected so far, and the user resolved once on demand.
 */
export class Turn {
  readonly out: OutgoingMessage[] = [];
  readonly settings: AssistantSettings;
  private answered = false;
  private userPromise: Promise<AssistantUser> | undefined;

  constructor(
    readonly update: IncomingUpdate,
    readonly ctx: AssistantContext,
    public state: ChatState,
  ) {
    this.settings = settingsOf(ctx);
  }

  get chatId(): number {
    return this.update.chatId;
  }

  get userId(): number | undefined {
    return this.update.userId ?? (this.update.chatType === undefined || this.update.chatType === 'private' ? this.update.chatId : undefined);
  }

  now(): Date {
    return this.ctx.now?.() ?? new Date();
  }

  newId(): string {
    return this.ctx.newId?.() ?? randomUUID().replace(/-/g, '').slice(0, 12);
  }

  /** Ends in the chat's transcript as a new message. */
  send(text: Html, options: SendOptions = {}): void {
    const markup: ReplyMarkup | undefined = options.keyboard?.length ? { inline_keyboard: options.keyboard } : options.replyMarkup;
    this.out.push({
      method: 'sendMessage',
      chatId: this.chatId,
      text: text.value,
      parseMode: 'HTML',
      ...(markup ? { replyMarkup: markup } : {}),
      ...(options.disableLinkPreview ? { disableLinkPreview: true } : {}),
      ...(this.update.correlationId ? { correlationId: this.update.correlationId } : {}),
    });
  }

  /** Replaces the text (and keyboard) of the message the pressed button was on; a new message otherwise. */
  edit(text: Html, keyboard?: Keyboard): void {
    const messageId = this.update.kind === 'callback' ? this.update.callbackMessageId : undefined;
    if (messageId === undefined) {
      this.send(text, { keyboard });
      return;
    }
    this.out.push({
      method: 'editMessageText',
      chatId: this.chatId,
      messageId,
      text: text.value,
      parseMode: 'HTML',
      // An edit without reply_markup removes the keyboard: send an empty one explicitly.
      replyMarkup: { inline_keyboard: keyboard ?? [] },
      ...(this.update.correlationId ? { correlationId: this.update.correlationId } : {}),
    });
  }

  /** Answers the pressed button (once): a toast, or an alert. Every callback gets an answer. */
  answer(text?: string, alert = false): void {
    if (this.update.kind !== 'callback' || this.answered) return;
    this.answered = true;
    this.out.unshift({
      method: 'answerCallbackQuery',
      chatId: this.chatId,
      callbackQueryId: this.update.callbackQueryId,
      ...(text ? { text: text.slice(0, 200) } : {}),
      ...(alert ? { showAlert: true } : {}),
    });
  }

  get hasAnswered(): boolean {
    return this.answered;
  }

  typing(): void {
    this.ctx.onProgress?.({ method: 'sendChatAction', chatId: this.chatId, action: 'typing' });
  }

  // ── the user ──────────────────────────────────────────────────────────────────────
  user(): Promise<AssistantUser> {
    if (this.ctx.user) return Promise.resolve(this.ctx.user);
    const id = this.userId;
    if (id === undefined) return Promise.resolve({ telegramUserId: undefined, linked: false });
    this.userPromise ??= this.ctx.ports.users.lookup(id).catch((error: unknown) => {
      this.ctx.log?.warn({ err: (error as Error).message, chatId: this.chatId }, 'assistant: user lookup failed; treating as not linked');
      return { telegramUserId: id, linked: false };
    });
    return this.userPromise;
  }

  /** The shop token, or undefined after asking the user to link the account. */
  async token(): Promise<string | undefined> {
    const user = await this.user();
    if (user.linked && user.shopToken) return user.shopToken;
    this.answer('Нужно привязать аккаунт магазина');
    this.askToLink(T.linkNeeded);
    return undefined;
  }

  askToLink(reason: Html): void {
    const url = this.settings.loginUrl;
    if (!url) {
      this.send(h`${reason}\n\n${T.linkNotConfigured}`);
      return;
    }
    if (isButtonUrlAllowed(url)) {
      this.send(reason, { keyboard: [[{ text: '🔗 Привязать аккаунт', url }]] });
      return;
    }
    // Telegram refuses localhost links in buttons: the link goes into the text.
    this.send(h`${reason}\n\n🔗 Привязать аккаунт: ${url}`, { disableLinkPreview: true });
  }

  /** Common handling of a shop failure; returns true when it was told to the user. */
  shopFailed(error: unknown, what = 'действие'): boolean {
    const kind = portErrorKind(error);
    if (kind === 'unavailable') {
      this.answer('Магазин не отвечает, попробуйте позже');
      this.send(T.shopDown);
      return true;
    }
    if (kind === 'unauthorized') {
      this.answer('Нужно привязать аккаунт заново');
      this.askToLink(T.linkExpired);
      return true;
    }
    if (kind === 'business') {
      this.ctx.log?.info({ err: (error as Error).message, chatId: this.chatId }, `assistant: the shop refused ${what}`);
      return false;
    }
    throw error;
  }
}
