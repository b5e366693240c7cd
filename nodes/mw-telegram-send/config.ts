import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-telegram-send` node, as stored in flows/ (the token is a credential). */
export interface MwTelegramSendDef {
  id: string;
  type: 'mw-telegram-send';
  name: string;
  /** Optional `mw-config`: journal and metrics of the sends. */
  mwConfig: string;
  /** A node-red-contrib-telegrambot `telegram bot` config node to take the token and base URL from; empty: own credentials. */
  bot: string;
  /** Bot API base URL when `bot` is empty; empty: TELEGRAM_API_URL or https://api.telegram.org. */
  apiUrl: string;
  perChatPerSecond: number;
  perChatBurst: number;
  globalPerSecond: number;
  version: number;
}

export interface MwTelegramSendCredentials {
  /** Empty: TELEGRAM_BOT_TOKEN. */
  token?: string;
}

export const MW_TELEGRAM_SEND_VERSION = 1;

const num = (v: unknown, fallback: number, min: number, max: number): number => {
  const n = Number(v);
  return Number.isFinite(n) && n >= min && n <= max ? n : fallback;
};

export const mwTelegramSendMigrations: readonly ConfigMigration<MwTelegramSendDef>[] = [
  {
    to: 1,
    up: (c) => ({
      ...c,
      mwConfig: typeof c.mwConfig === 'string' ? c.mwConfig : '',
      bot: typeof c.bot === 'string' ? c.bot : '',
      apiUrl: typeof c.apiUrl === 'string' ? c.apiUrl.trim() : '',
      perChatPerSecond: num(c.perChatPerSecond, 1, 0, 100),
      perChatBurst: num(c.perChatBurst, 3, 1, 100),
      globalPerSecond: num(c.globalPerSecond, 30, 0, 1000),
    }),
  },
];
