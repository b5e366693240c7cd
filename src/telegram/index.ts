// Telegram Bot API: the client and the bot's outbound send queue.
export { BotApi, BotApiError, DEFAULT_BOT_API_TIMEOUT_MS, DEFAULT_BOT_API_URL, isBotApiError, toBotApiCall, type BotApiCaller, type BotApiErrorKind, type BotApiOptions } from './bot-api';
export { TelegramOutbox, type OutboxOptions, type SendFailure, type SendResult, type SendSuccess } from './outbox';
export { acquireOutbox, type OutboxLease } from './registry';
export { signedFileUrl, telegramFileRouter, verifyFileSignature, type TelegramFileRouterOptions } from './file-proxy';
