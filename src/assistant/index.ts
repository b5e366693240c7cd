// «Ассистент мастера» (SPEC §3.A): the Telegram bot's conversation core.
export { handleUpdate } from './handle-update';
export { DEFAULT_SETTINGS, settingsOf, type AssistantContext, type AssistantLog, type AssistantSettings } from './context';
export type * from './types';
export * from './ports';
export { normalizeCallbackQuery, normalizeNodeRedMessage, normalizeTelegramMessage, normalizeTelegramUpdate, parseCommand } from './normalize';
export { defaultIntentRules, detectIntent, findIntentsFile, loadIntentRules, normalizeForIntent, parseIntentRules, IntentsDataError, INTENTS, type DetectedIntent, type Intent, type IntentRule, type IntentRules } from './intents';
export { ASSISTANT_CHATS_TABLE, MemoryChatStateStore, PgChatStateStore, type ChatState, type ChatStateStore, type Dialog } from './state-store';
export { callbackData, escapeHtml, h, Html, isButtonUrlAllowed, MAX_CALLBACK_BYTES, MAX_MESSAGE_CHARS, splitHtml } from './html';
export { botCommands, COMMANDS } from './texts';
export { renderOrderStatusChanged, renderReturnStatusChanged } from './render/orders';
export { catalogPortFrom, howtoPortFrom, orderFrom, rateLimitPortFrom, shopPortFrom, toPortError, userFromMsgUser, usersPortFrom } from './adapters';
export { deliverQueuedOrder, queueOrderPortFrom, QUEUED_ORDER_DESTINATION, QUEUED_ORDER_OPERATION, QUEUED_ORDER_RETRY_POLICY, type QueuedOrderPayload } from './queued-orders';
export { FEED_CURSORS_TABLE, ORDER_FEED, pollStatusChanges, RETURN_FEED, startStatusNotifier, type NotifyReport, type StatusNotifierDeps } from './notifications';
export { createAssistantRuntime, type AssistantRuntime, type AssistantRuntimeOptions } from './runtime';
