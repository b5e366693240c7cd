import type { Express } from 'express';
import { botCommands } from '../assistant/texts';
import type { AppConfig } from '../config';
import type { Logger } from '../log';
import { BotApi, telegramFileRouter } from '../telegram';
import { readOrCreateSecret } from './secret-file';

async function resolveFileLinkSecret(dataDir: string, configured?: string): Promise<string> {
  if (configured) return configured;
  return (await readOrCreateSecret(dataDir, 'telegram-file-link-secret', { bytes: 24, encoding: 'base64url', hint: 'delete it or set TELEGRAM_FILE_LINK_SECRET' })).secret;
}

/**
 * What the assistant needs around its flows: the signed photo links of return photos
 * (/api/v1/telegram/files/:id?sig=…, so the shop fetches photos without the bot token) and the
 * bot's command menu, registered once with language "ru" (telegrambot 17.0.6 wipes menus
 * registered without one). The assistant's nodes read their settings from the environment, so
 * the defaults derived here are put there when the operator has not set them.
 */
export async function setUpTelegram(app: Express, config: AppConfig, log: Logger): Promise<void> {
  const token = config.auth.botToken;
  // The bot config node of the flows takes its API address from ${TELEGRAM_API_URL}.
  process.env.TELEGRAM_API_URL ??= config.telegramApiUrl;
  if (!token) {
    log.warn('TELEGRAM_BOT_TOKEN is not set: the assistant bot is not connected');
    return;
  }
  const env = process.env;
  const secret = await resolveFileLinkSecret(config.dataDir, env.TELEGRAM_FILE_LINK_SECRET);
  env.TELEGRAM_FILE_LINK_SECRET ??= secret;
  env.TELEGRAM_BOT_TOKEN ??= token;
  const api = new BotApi({ token, baseUrl: config.telegramApiUrl });
  app.use('/api/v1/telegram/files', telegramFileRouter({ api, secret }));
  api.call('setMyCommands', { commands: botCommands(), language_code: 'ru' }).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not register the bot commands'));
}

/**
 * Addresses the assistant puts into messages (account-link page, return-photo links), derived
 * from the port the server really listens on unless the operator set public ones.
 */
export function publishAssistantUrls(port: number): void {
  process.env.ASSISTANT_PHOTO_BASE_URL ??= `http://127.0.0.1:${port}/api/v1/telegram/files`;
  process.env.ASSISTANT_LOGIN_URL ??= `http://localhost:${port}/login`;
}
