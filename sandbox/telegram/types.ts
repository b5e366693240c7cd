/**
 * The Bot API objects the sandbox produces, as Telegram documents them (only the fields the
 * sandbox fills), and the transcript records it keeps for tests and the web chat.
 */

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface TgBotUser extends TgUser {
  can_join_groups: boolean;
  can_read_all_group_messages: boolean;
  supports_inline_queries: boolean;
  can_connect_to_business: boolean;
  has_main_web_app: boolean;
}

export type ChatType = 'private' | 'group' | 'supergroup' | 'channel';

export interface TgChat {
  id: number;
  type: ChatType;
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
}

export interface TgMessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
}

export interface TgInlineKeyboardButton {
  text: string;
  url?: string;
  callback_data?: string;
  web_app?: { url: string };
  login_url?: { url: string; forward_text?: string; bot_username?: string; request_write_access?: boolean };
  switch_inline_query?: string;
  switch_inline_query_current_chat?: string;
  copy_text?: { text: string };
  pay?: boolean;
}

export interface TgKeyboardButton {
  text: string;
  request_contact?: boolean;
  request_location?: boolean;
}

export interface TgInlineKeyboardMarkup {
  inline_keyboard: TgInlineKeyboardButton[][];
}

export interface TgReplyKeyboardMarkup {
  keyboard: TgKeyboardButton[][];
  is_persistent?: boolean;
  resize_keyboard?: boolean;
  one_time_keyboard?: boolean;
  input_field_placeholder?: string;
  selective?: boolean;
}

export interface TgReplyKeyboardRemove {
  remove_keyboard: true;
  selective?: boolean;
}

export interface TgForceReply {
  force_reply: true;
  input_field_placeholder?: string;
  selective?: boolean;
}

export type TgReplyMarkup = TgInlineKeyboardMarkup | TgReplyKeyboardMarkup | TgReplyKeyboardRemove | TgForceReply;

export interface TgPhotoSize {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  file_size?: number;
}

export interface TgVoice {
  file_id: string;
  file_unique_id: string;
  duration: number;
  mime_type?: string;
  file_size?: number;
}

export interface TgDocument {
  file_id: string;
  file_unique_id: string;
  file_name?: string;
  mime_type?: string;
  file_size?: number;
}

export interface TgLocation {
  latitude: number;
  longitude: number;
  horizontal_accuracy?: number;
}

export interface TgContact {
  phone_number: string;
  first_name: string;
  last_name?: string;
  user_id?: number;
}

export interface TgMessage {
  message_id: number;
  from?: TgUser;
  chat: TgChat;
  date: number;
  edit_date?: number;
  reply_to_message?: TgMessage;
  text?: string;
  entities?: TgMessageEntity[];
  caption?: string;
  caption_entities?: TgMessageEntity[];
  photo?: TgPhotoSize[];
  voice?: TgVoice;
  document?: TgDocument;
  audio?: TgDocument & { duration: number };
  location?: TgLocation;
  contact?: TgContact;
  reply_markup?: TgInlineKeyboardMarkup;
}

export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message?: TgMessage;
  chat_instance: string;
  data?: string;
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  callback_query?: TgCallbackQuery;
}

export interface TgFile {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
  file_path?: string;
}

export interface TgBotCommand {
  command: string;
  description: string;
}

export interface TgWebhookInfo {
  url: string;
  has_custom_certificate: boolean;
  pending_update_count: number;
  ip_address?: string;
  last_error_date?: number;
  last_error_message?: string;
  max_connections?: number;
  allowed_updates?: string[];
}

// ------------------------------------------------------------------------------------------------
// Transcript (sandbox-only records, not Bot API objects)

/** One message of a chat as the user would see it now: edits applied, deletions flagged. */
export interface TranscriptMessage {
  /** Order of this record among all records of the chat (messages, callbacks, actions). */
  readonly seq: number;
  readonly direction: 'user' | 'bot';
  /** The current Bot API Message (after edits). */
  message: TgMessage;
  /**
   * For bot messages: the reply keyboard / remove / force-reply markup that came with it
   * (Telegram does not echo those back in the Message object, so it is kept beside it).
   */
  replyKeyboard?: TgReplyKeyboardMarkup | TgReplyKeyboardRemove | TgForceReply;
  /** For bot messages: what the bot sent before entity parsing, and its parse_mode. */
  source?: { text?: string; caption?: string; parse_mode?: string };
  /** Earlier versions of the text, oldest first, one per successful edit. */
  edits: Array<{ at: number; text?: string; caption?: string; reply_markup?: TgInlineKeyboardMarkup }>;
  deleted?: { at: number };
  /** For voice notes injected with a scripted text: the text (what STT should return). */
  scriptedTranscript?: string;
}

export interface TranscriptCallback {
  readonly seq: number;
  readonly query: TgCallbackQuery;
  readonly at: number;
  answer?: { at: number; text?: string; show_alert?: boolean; url?: string; cache_time?: number };
}

export interface TranscriptAction {
  readonly seq: number;
  readonly action: string;
  readonly at: number;
}

export interface Transcript {
  readonly chat: TgChat;
  /** Changes on every record added or changed; pass it to wait(afterRevision). */
  readonly revision: number;
  readonly blocked: boolean;
  readonly messages: TranscriptMessage[];
  readonly callbacks: TranscriptCallback[];
  readonly actions: TranscriptAction[];
}

/** Who the sandbox pretends sends a user update; defaults come from the chat. */
export interface SandboxUserInput {
  userId?: number;
  firstName?: string;
  lastName?: string;
  username?: string;
  languageCode?: string;
}
