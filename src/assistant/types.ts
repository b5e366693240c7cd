/**
 * The assistant's own view of Telegram: a normalised incoming update (whatever node or poller
 * delivered it) and the Bot API calls it answers with. Only what the assistant uses is modelled.
 */

/** Who sent the update and where to answer. */
export interface UpdateOrigin {
  /** Where to answer (a private chat's id equals the user's id). */
  readonly chatId: number;
  /** The Telegram user (callback queries and messages carry `from`); falls back to chatId in private chats. */
  readonly userId?: number;
  readonly firstName?: string;
  readonly username?: string;
  readonly languageCode?: string;
  readonly chatType?: 'private' | 'group' | 'supergroup' | 'channel';
  /** The user's message (absent for callback queries). */
  readonly messageId?: number;
  /** Telegram's update_id when known (logs, dedupe). */
  readonly updateId?: number;
  /** Ties the reply to the journal and logs. */
  readonly correlationId?: string;
}

export type IncomingUpdate = UpdateOrigin &
  (
    | { readonly kind: 'text'; readonly text: string }
    | { readonly kind: 'command'; readonly command: string; readonly args: string; readonly text: string }
    /** A voice note, after speech-to-text: `transcript`, or `failure` (an STT failure reason) when it did not work. */
    | { readonly kind: 'voice'; readonly transcript?: string; readonly failure?: string; readonly fileId?: string }
    | { readonly kind: 'photo'; readonly fileId: string; readonly caption?: string }
    | { readonly kind: 'callback'; readonly callbackQueryId: string; readonly data: string; readonly callbackMessageId?: number }
    | { readonly kind: 'location'; readonly latitude: number; readonly longitude: number }
    | { readonly kind: 'contact'; readonly phoneNumber: string; readonly contactUserId?: number }
    /** Stickers, documents, video, polls…: answered politely, never processed. */
    | { readonly kind: 'unsupported'; readonly what: string }
  );

export type UpdateKind = IncomingUpdate['kind'];

// ── what the assistant sends ─────────────────────────────────────────────────────────

export interface InlineButton {
  readonly text: string;
  /** 1–64 bytes. */
  readonly callback_data?: string;
  /** http(s), never localhost (Telegram refuses the whole message). */
  readonly url?: string;
}

export interface InlineKeyboardMarkup {
  readonly inline_keyboard: readonly (readonly InlineButton[])[];
}

export interface ReplyKeyboardButton {
  readonly text: string;
  readonly request_contact?: boolean;
  readonly request_location?: boolean;
}

export interface ReplyKeyboardMarkup {
  readonly keyboard: readonly (readonly ReplyKeyboardButton[])[];
  readonly resize_keyboard?: boolean;
  readonly one_time_keyboard?: boolean;
  readonly input_field_placeholder?: string;
}

export interface ReplyKeyboardRemove {
  readonly remove_keyboard: true;
}

export type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove;

export type OutgoingMethod = 'sendMessage' | 'editMessageText' | 'answerCallbackQuery' | 'sendChatAction';

/**
 * One Bot API call. `text` is HTML (parse_mode HTML) with every user- or shop-provided piece
 * escaped, at most 4096 characters; sendMessage/editMessageText always carry `parseMode: 'HTML'`.
 */
export interface OutgoingMessage {
  readonly method: OutgoingMethod;
  readonly chatId: number;
  readonly text?: string;
  readonly parseMode?: 'HTML';
  readonly replyMarkup?: ReplyMarkup;
  /** editMessageText: the message to edit. */
  readonly messageId?: number;
  /** answerCallbackQuery. */
  readonly callbackQueryId?: string;
  readonly showAlert?: boolean;
  /** sendChatAction. */
  readonly action?: 'typing' | 'upload_photo';
  /** sendMessage: no link preview (order links, payment links). */
  readonly disableLinkPreview?: boolean;
  readonly correlationId?: string;
}
