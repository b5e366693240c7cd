import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-assistant` node, as stored in flows/. */
export interface MwAssistantDef {
  id: string;
  type: 'mw-assistant';
  name: string;
  /** The `mw-config` node: database (state, rate limits, queued orders), catalog and shop, auth. */
  mwConfig: string;
  /** The account-link page (Telegram Login Widget); empty: ASSISTANT_LOGIN_URL. */
  loginUrl: string;
  /** Public base URL of the Telegram file links for return photos; empty: ASSISTANT_PHOTO_BASE_URL (signed with TELEGRAM_FILE_LINK_SECRET). */
  photoBaseUrl: string;
  /** Messages a minute per Telegram user; 0: no limit. */
  rateLimitPerMinute: number;
  /** An unfinished checkout or return is forgotten after this many minutes. */
  dialogTtlMinutes: number;
  /** Search results per message. */
  pageSize: number;
  /** Run the worker that sends orders queued during a shop outage (and tells the master). */
  deliverQueued: boolean;
  /** Seconds between polls of the shop's order/return change feeds for status notifications; 0: off. */
  notifyEverySeconds: number;
  version: number;
}

export const MW_ASSISTANT_VERSION = 1;

const num = (v: unknown, fallback: number, min: number, max: number): number => {
  const n = Number(v);
  return Number.isFinite(n) && n >= min && n <= max ? Math.floor(n) : fallback;
};

export const mwAssistantMigrations: readonly ConfigMigration<MwAssistantDef>[] = [
  {
    to: 1,
    up: (c) => ({
      ...c,
      loginUrl: typeof c.loginUrl === 'string' ? c.loginUrl.trim() : '',
      photoBaseUrl: typeof c.photoBaseUrl === 'string' ? c.photoBaseUrl.trim() : '',
      rateLimitPerMinute: num(c.rateLimitPerMinute, 20, 0, 10_000),
      dialogTtlMinutes: num(c.dialogTtlMinutes, 30, 1, 24 * 60),
      pageSize: num(c.pageSize, 5, 1, 10),
      deliverQueued: c.deliverQueued !== false,
      notifyEverySeconds: num(c.notifyEverySeconds, 15, 0, 3600),
    }),
  },
];
