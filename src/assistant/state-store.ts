import type { Knex } from 'knex';

/**
 * Conversation state per chat, in PostgreSQL (`assistant_chats`). It holds the open dialog
 * (checkout, return, kit model question) with its expiry, the last search (for «Ещё» and the
 * Неси request) and when the user was last told to slow down. No personal data beyond what the
 * dialog collects (an address and phone while checking out; cleared when the dialog ends).
 */
export const ASSISTANT_CHATS_TABLE = 'assistant_chats';

export type CheckoutStep = 'delivery' | 'payment' | 'address' | 'phone' | 'confirm';

export interface CheckoutDialog {
  readonly kind: 'checkout';
  /** Stable per checkout: the order's externalId is built from it (a double press never orders twice). */
  id: string;
  step: CheckoutStep;
  delivery?: 'courier' | 'pickup';
  payment?: 'prepaid' | 'cod';
  address?: string;
  phone?: string;
  /** Started by /order (prepaid) or /bring (COD courier). */
  preset?: 'order' | 'bring';
  expiresAt: number;
}

export type ReturnStep = 'order' | 'line' | 'quantity' | 'reason' | 'reason_text' | 'photos';

export interface ReturnDialog {
  readonly kind: 'return';
  id: string;
  step: ReturnStep;
  orderId?: number;
  orderNumber?: string;
  itemId?: number;
  itemName?: string;
  maxQuantity?: number;
  quantity?: number;
  reason?: string;
  /** Telegram file ids of the photos received so far. */
  photos: string[];
  expiresAt: number;
}

export interface KitDialog {
  readonly kind: 'kit';
  /** Waiting for the model to build the kit of this topic for. */
  topic: string;
  expiresAt: number;
}

export type Dialog = CheckoutDialog | ReturnDialog | KitDialog;

export interface ChatState {
  dialog?: Dialog;
  /** The last catalog query (for «Ещё» and «Заказать под заказ»). */
  lastQuery?: string;
  /** The device model of the last search, used for kits. */
  lastModel?: string;
  /** Until when (epoch ms) the user has been told about the rate limit: no second notice before. */
  rateNoticeUntil?: number;
}

export interface ChatStateStore {
  load(chatId: number): Promise<ChatState>;
  save(chatId: number, telegramUserId: number | undefined, state: ChatState): Promise<void>;
}

function parseState(value: unknown): ChatState {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as ChatState) : {};
}

export class PgChatStateStore implements ChatStateStore {
  constructor(
    private readonly db: Knex,
    private readonly table = ASSISTANT_CHATS_TABLE,
  ) {}

  async load(chatId: number): Promise<ChatState> {
    const row = (await this.db(this.table).select('state').where('chat_id', chatId).first()) as { state: unknown } | undefined;
    return row ? parseState(row.state) : {};
  }

  async save(chatId: number, telegramUserId: number | undefined, state: ChatState): Promise<void> {
    await this.db.raw(
      `insert into ${this.table} (chat_id, telegram_user_id, state, updated_at) values (?, ?, ?::jsonb, now())
       on conflict (chat_id) do update set telegram_user_id = coalesce(excluded.telegram_user_id, ${this.table}.telegram_user_id), state = excluded.state, updated_at = now()`,
      [chatId, telegramUserId ?? null, JSON.stringify(state)],
    );
  }

  async delete(chatId: number): Promise<void> {
    await this.db(this.table).where('chat_id', chatId).delete();
  }

  /** Deletes chats idle for `idleMs` (default 90 days). Open dialogs expire long before that. */
  async pruneIdle(idleMs = 90 * 86_400_000, now: Date = new Date()): Promise<number> {
    return this.db(this.table)
      .where('updated_at', '<', new Date(now.getTime() - idleMs))
      .delete();
  }
}

/** In memory, for tests and a flow without a database. */
export class MemoryChatStateStore implements ChatStateStore {
  readonly chats = new Map<number, ChatState>();
  async load(chatId: number): Promise<ChatState> {
    return structuredClone(this.chats.get(chatId) ?? {});
  }
  async save(chatId: number, _telegramUserId: number | undefined, state: ChatState): Promise<void> {
    this.chats.set(chatId, structuredClone(state));
  }
}
