import type { BreakerOptions } from './circuit-breaker';
import type { HttpAuth, HttpDeliverOptions, HttpMethod } from './http-deliver';

/**
 * Checks and converts the editor config of an `mw-delivery` node. Every problem is reported at
 * once, in words an analyst can act on, instead of the worker failing on its first item.
 */
export interface DeliveryNodeConfig {
  readonly destination?: string;
  readonly url?: string;
  readonly method?: string;
  readonly headers?: string;
  readonly authType?: string;
  readonly authHeader?: string;
  /** Seconds. */
  readonly timeout?: number | string;
  readonly concurrency?: number | string;
  /** Seconds. */
  readonly pollInterval?: number | string;
  readonly breakerThreshold?: number | string;
  /** Seconds. */
  readonly breakerCooldown?: number | string;
}

export interface DeliveryNodeCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
}

export interface DeliverySettings {
  readonly destination: string;
  readonly http: HttpDeliverOptions;
  readonly concurrency: number;
  readonly pollMs: number;
  readonly lockMs: number;
  readonly breaker: BreakerOptions;
}

export class DeliverySettingsError extends Error {
  override readonly name = 'DeliverySettingsError';
  constructor(readonly problems: readonly string[]) {
    super(`mw-delivery: ${problems.join('; ')}`);
  }
}

const METHODS: readonly HttpMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'];

function num(value: number | string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  return Number(value);
}

export function parseDeliverySettings(config: DeliveryNodeConfig, credentials: DeliveryNodeCredentials = {}): DeliverySettings {
  const problems: string[] = [];
  const destination = (config.destination ?? '').trim();
  if (!destination) problems.push('destination is empty');
  const url = (config.url ?? '').trim();
  if (!url) problems.push('URL is empty');
  else if (!/^(https?:\/\/|\{\{\{)/.test(url)) problems.push('URL must start with http:// or https:// (or a {{{…}}} base)');
  const method = (config.method || 'POST').toUpperCase() as HttpMethod;
  if (!METHODS.includes(method)) problems.push(`method ${config.method} is not one of ${METHODS.join(', ')}`);

  let headers: Record<string, string> = {};
  if (config.headers?.trim()) {
    try {
      const parsed = JSON.parse(config.headers) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      headers = Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    } catch {
      problems.push('headers must be a JSON object, e.g. {"X-Api-Version": "1"}');
    }
  }

  let auth: HttpAuth = { type: 'none' };
  switch (config.authType || 'none') {
    case 'none':
      break;
    case 'basic':
      if (!credentials.username) problems.push('basic auth needs a user name');
      auth = { type: 'basic', username: credentials.username ?? '', password: credentials.password ?? '' };
      break;
    case 'bearer':
      if (!credentials.token) problems.push('bearer auth needs a token');
      auth = { type: 'bearer', token: credentials.token ?? '' };
      break;
    case 'header':
      if (!config.authHeader?.trim()) problems.push('header auth needs the header name');
      if (!credentials.token) problems.push('header auth needs a value (token)');
      auth = { type: 'header', name: (config.authHeader ?? '').trim(), value: credentials.token ?? '' };
      break;
    default:
      problems.push(`unknown auth type ${config.authType}`);
  }

  const timeoutS = num(config.timeout, 15);
  if (!(timeoutS > 0 && timeoutS <= 300)) problems.push('timeout must be 0–300 s');
  const concurrency = num(config.concurrency, 4);
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) problems.push('concurrency must be a whole number 1–64');
  const pollS = num(config.pollInterval, 1);
  if (!(pollS >= 0.01 && pollS <= 600)) problems.push('poll interval must be 0.01–600 s');
  const threshold = num(config.breakerThreshold, 5);
  if (!(Number.isInteger(threshold) && threshold >= 1)) problems.push('breaker threshold must be a whole number ≥ 1');
  const cooldownS = num(config.breakerCooldown, 30);
  if (!(cooldownS > 0)) problems.push('breaker cool-down must be > 0 s');

  if (problems.length) throw new DeliverySettingsError(problems);
  const timeoutMs = Math.round(timeoutS * 1000);
  return {
    destination,
    http: { urlTemplate: url, method, headers, auth, timeoutMs },
    concurrency,
    pollMs: Math.round(pollS * 1000),
    // The claim outlives the call's timeout with room to record the result.
    lockMs: Math.max(30_000, timeoutMs * 2 + 10_000),
    breaker: { failureThreshold: threshold, cooldownMs: Math.round(cooldownS * 1000), maxCooldownMs: Math.max(Math.round(cooldownS * 1000), 10 * 60_000) },
  };
}
