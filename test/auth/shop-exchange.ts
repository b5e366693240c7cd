import type { ShopLogin, ShopLoginExchange } from '../../src/auth/login-service';

/** Thrown for a non-2xx shop answer; carries the status and the Bitrix error code. */
export class ShopHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

/**
 * A tiny stand-in for the shop client's loginTelegram: POST {base}/rest/v1/auth.telegram with
 * the widget data as JSON, `{result: {token, userId, expiresAt}}` back.
 */
export function shopExchange(base: () => string, options: { timeoutMs?: number } = {}): ShopLoginExchange {
  return async (data) => {
    const res = await fetch(`${base()}/rest/v1/auth.telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    const body = (await res.json().catch(() => ({}))) as { result?: ShopLogin; error?: string; error_description?: string };
    if (!res.ok || !body.result) throw new ShopHttpError(res.status, body.error ?? 'UNKNOWN', body.error_description ?? `HTTP ${res.status}`);
    return body.result;
  };
}
