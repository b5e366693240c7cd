import path from 'node:path';
import { loadAuthSettings, type AuthSettings } from './auth/runtime';
import { StartupError } from './errors';
import { shopConfigFromEnv, type ShopConfig } from './shop/config';

/** Everything the middleware reads from the environment, parsed and checked once at start. */
export interface AppConfig {
  readonly env: 'production' | 'development' | 'test';
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly flowsDir: string;
  readonly flowsReadOnly: boolean;
  readonly databaseUrl: string | undefined;
  readonly embeddedPgPort: number;
  readonly mqttUrl: string | undefined;
  readonly mqttPort: number;
  readonly adminUser: string;
  readonly adminPassword: string | undefined;
  readonly credentialSecret: string | undefined;
  readonly logLevel: string;
  readonly demoDevices: boolean;
  readonly opsApiToken: string | undefined;
  /** Largest JSON body the API accepts (flows' http in routes included). */
  readonly apiBodyLimit: string;
  /** Token encryption key, session lifetime, Login Widget bot token, integration API keys. */
  readonly auth: AuthSettings;
  /** Web shop API address, keys, timeouts and catalog sync (SHOP_API_URL, CATALOG_*). */
  readonly shop: ShopConfig;
  /** Telegram Bot API base URL (TELEGRAM_API_URL; the sandbox in demo mode). */
  readonly telegramApiUrl: string;
  /** The bot's @username for the Login Widget, and the widget script (the sandbox's in demo mode). */
  readonly telegramBotUsername: string;
  readonly telegramWidgetUrl: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export const PROJECT_ROOT = path.resolve(__dirname, '..');

function parsePort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartupError(`${name}="${raw}" is not a TCP port`, `set ${name} to a number from 0 to 65535`);
  }
  return port;
}

function parseBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new StartupError(`${name}="${env[name]}" is not a boolean`, `use 1/0, true/false, yes/no or on/off`);
}

/** Checks the URL shape early so a typo is reported in one line, not as a driver stack trace. */
function parseUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StartupError(`${name} is not a valid URL`, `expected ${protocols[0]}//user:password@host:port/…`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new StartupError(
      `${name} has protocol "${url.protocol}"`,
      `expected one of ${protocols.join(', ')} (e.g. ${protocols[0]}//user:password@host:port/…)`,
    );
  }
  if (!url.hostname) throw new StartupError(`${name} has no host`, `expected ${protocols[0]}//user:password@host:port/…`);
  return raw;
}

function parseEnvName(raw: string | undefined): AppConfig['env'] {
  if (raw === 'production' || raw === 'test') return raw;
  return 'development';
}

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = parseEnvName(env.NODE_ENV);
  const dataDir = path.resolve(PROJECT_ROOT, env.DATA_DIR || '.data');
  const credentialSecret = env.NODE_RED_CREDENTIAL_SECRET || undefined;
  if (nodeEnv === 'production' && !credentialSecret) {
    throw new StartupError(
      'NODE_RED_CREDENTIAL_SECRET is not set',
      'production needs a fixed secret to encrypt flow credentials; set it to a long random string',
    );
  }
  return {
    env: nodeEnv,
    host: env.HOST || '0.0.0.0',
    port: parsePort(env, 'PORT', 1880),
    dataDir,
    flowsDir: path.resolve(PROJECT_ROOT, env.FLOWS_DIR || 'flows'),
    flowsReadOnly: parseBool(env, 'FLOWS_READONLY', false),
    databaseUrl: parseUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    embeddedPgPort: parsePort(env, 'EMBEDDED_PG_PORT', 54329),
    mqttUrl: parseUrl(env, 'MQTT_URL', ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:']),
    mqttPort: parsePort(env, 'MQTT_PORT', 1883),
    adminUser: env.ADMIN_USER || 'admin',
    adminPassword: env.ADMIN_PASSWORD || undefined,
    credentialSecret,
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'warn' : 'info'),
    demoDevices: parseBool(env, 'MQTT_DEMO_DEVICES', nodeEnv !== 'production'),
    opsApiToken: env.OPS_API_TOKEN || undefined,
    apiBodyLimit: env.API_BODY_LIMIT || '1mb',
    auth: loadAuthSettings(env),
    shop: shopConfigFromEnv(env),
    telegramApiUrl: parseUrl(env, 'TELEGRAM_API_URL', ['https:', 'http:']) ?? 'https://api.telegram.org',
    telegramBotUsername: env.TELEGRAM_BOT_USERNAME || 'AssistantMasteraBot',
    telegramWidgetUrl: parseUrl(env, 'TELEGRAM_WIDGET_URL', ['https:', 'http:']) ?? 'https://telegram.org/js/telegram-widget.js?22',
  };
}
