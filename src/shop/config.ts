import { StartupError } from '../errors';

type Env = Readonly<Record<string, string | undefined>>;

/** Shop access and catalog cache settings, from the environment (README: Configuration). */
export interface ShopConfig {
  /** SHOP_API_URL: `http://host:port` of the shop (or its `/rest/v1` base); unset = no shop (search serves the cache only). */
  readonly apiUrl: string | undefined;
  /** SHOP_API_KEY: `X-Api-Key` for the shop-wide order/return change feeds. */
  readonly serviceKey: string | undefined;
  /** SHOP_API_TIMEOUT_MS: per call (default 10000). */
  readonly timeoutMs: number;
  /** SHOP_BREAKER_THRESHOLD: consecutive failures that open the breaker (default 5). */
  readonly breakerThreshold: number;
  /** SHOP_BREAKER_COOLDOWN_MS: first open period (default 15000; doubles up to 8×). */
  readonly breakerCooldownMs: number;
  /** CATALOG_SYNC_INTERVAL_MS: incremental catalog sync period (default 5000; 0 = no sync in this process). */
  readonly syncIntervalMs: number;
  /** CATALOG_FULL_RESYNC_HOURS: full re-walk that drops delisted products (default 24; 0 = never). */
  readonly fullResyncHours: number;
  /** CATALOG_STALE_AFTER_MS: answers are degraded when the last sync is older (default 300000). */
  readonly staleAfterMs: number;
  /** CATALOG_SEARCH_WORKER: the search index in a worker thread (default 1). */
  readonly searchWorker: boolean;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new StartupError(`${name}="${raw}" is not a whole number from ${min} to ${max}`, `set ${name} to a number such as ${fallback}`);
  }
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new StartupError(`${name}="${env[name]}" is not a boolean`, 'use 1/0, true/false, yes/no or on/off');
}

export function shopConfigFromEnv(env: Env = process.env): ShopConfig {
  const rawUrl = env.SHOP_API_URL?.trim() || undefined;
  if (rawUrl) {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new StartupError('SHOP_API_URL is not a valid URL', 'expected http(s)://host:port of the web shop');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StartupError(`SHOP_API_URL has protocol "${url.protocol}"`, 'expected http:// or https://');
  }
  return {
    apiUrl: rawUrl,
    serviceKey: env.SHOP_API_KEY?.trim() || undefined,
    timeoutMs: int(env, 'SHOP_API_TIMEOUT_MS', 10_000, 100, 300_000),
    breakerThreshold: int(env, 'SHOP_BREAKER_THRESHOLD', 5, 1, 1000),
    breakerCooldownMs: int(env, 'SHOP_BREAKER_COOLDOWN_MS', 15_000, 100, 3_600_000),
    syncIntervalMs: int(env, 'CATALOG_SYNC_INTERVAL_MS', 5000, 0, 86_400_000),
    fullResyncHours: int(env, 'CATALOG_FULL_RESYNC_HOURS', 24, 0, 24 * 365),
    staleAfterMs: int(env, 'CATALOG_STALE_AFTER_MS', 300_000, 1000, 7 * 86_400_000),
    searchWorker: bool(env, 'CATALOG_SEARCH_WORKER', true),
  };
}
