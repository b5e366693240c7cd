import type { ConfigMigration } from '../../src/node-config/migrations';

export type MwAuthMode = 'user' | 'telegram' | 'api-key';
export const MW_AUTH_MODES: readonly MwAuthMode[] = ['user', 'telegram', 'api-key'];

/** Editor-facing config of the `mw-auth` node, as stored in flows/. */
export interface MwAuthDef {
  id: string;
  type: 'mw-auth';
  name: string;
  /** The mw-config node that gives the database (user links, sessions). */
  mwConfig: string;
  /**
   * user: `Authorization: Bearer <access token from POST /api/v1/auth/telegram>` → msg.user;
   * telegram: the Telegram user of a bot update → msg.user, linked or not (never fails);
   * api-key: `X-Api-Key` or a bearer key of an integration → msg.principal `key:<name>`.
   */
  mode: MwAuthMode;
  /** telegram mode: msg property with the Telegram user id; empty = the usual places (see help). */
  telegramIdProperty: string;
  /** api-key mode: environment variable with `name:secret,…`; must end in _API_KEYS. */
  apiKeysEnv: string;
  /** api-key mode: comma-separated key names this route accepts; empty = every configured key. */
  allowedKeys: string;
  version: number;
}

export const MW_AUTH_CONFIG_VERSION = 1;
export const DEFAULT_API_KEYS_ENV = 'INTEGRATION_API_KEYS';
/** Only variables meant for API keys can be named: a flow cannot point the node at DATABASE_URL. */
export const API_KEYS_ENV_NAME = /^[A-Z][A-Z0-9_]*_API_KEYS$/;

export const mwAuthMigrations: readonly ConfigMigration<MwAuthDef>[] = [
  {
    to: 1,
    up: (c) => ({
      ...c,
      mode: MW_AUTH_MODES.includes(c.mode as MwAuthMode) ? c.mode : 'user',
      telegramIdProperty: typeof c.telegramIdProperty === 'string' ? c.telegramIdProperty.trim() : '',
      apiKeysEnv: typeof c.apiKeysEnv === 'string' && c.apiKeysEnv.trim() ? c.apiKeysEnv.trim() : DEFAULT_API_KEYS_ENV,
      allowedKeys: typeof c.allowedKeys === 'string' ? c.allowedKeys : '',
    }),
  },
];

/** The allowed key names, lower-cased; empty = any configured key. */
export function allowedKeyNames(config: Pick<MwAuthDef, 'allowedKeys'>): string[] {
  return config.allowedKeys
    .split(/[,\s]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}
