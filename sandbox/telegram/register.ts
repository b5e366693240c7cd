import { registerSandbox } from '../registry';
import { DEFAULT_SANDBOX_TOKEN, createTelegramSandbox } from './index';

/**
 * Demo mode: the Telegram sandbox under the name "telegram". The token is TELEGRAM_SANDBOX_TOKEN
 * or DEFAULT_SANDBOX_TOKEN; the bot config node's baseapiurl is the URL startSandboxes returns.
 * TELEGRAM_SANDBOX_OPS_CHAT (a negative group id) makes that ops group exist from the start so
 * alerts sent to it are not refused with "chat not found".
 */
registerSandbox('telegram', () => {
  const opsChat = Number(process.env.TELEGRAM_SANDBOX_OPS_CHAT);
  return createTelegramSandbox({
    token: process.env.TELEGRAM_SANDBOX_TOKEN || DEFAULT_SANDBOX_TOKEN,
    ...(Number.isSafeInteger(opsChat) && opsChat < 0 ? { chats: [{ id: opsChat, type: 'supergroup' as const, title: 'Ops: оповещения' }] } : {}),
  });
});
