/**
 * Bot API failures as Telegram words them: `{ok:false, error_code, description}`, plus
 * `parameters.retry_after` on 429. Handlers throw `BotApiError`; the router turns it into JSON.
 */
export class BotApiError extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
    this.name = 'BotApiError';
  }

  toJSON(): Record<string, unknown> {
    return {
      ok: false,
      error_code: this.errorCode,
      description: this.description,
      ...(this.parameters ? { parameters: this.parameters } : {}),
    };
  }
}

export const badRequest = (text: string): BotApiError => new BotApiError(400, `Bad Request: ${text}`);

export const tooManyRequests = (retryAfter: number): BotApiError =>
  new BotApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });

/** The body an injected fault (FakeServer.setFaults) answers with, shaped like Telegram's. */
export function telegramErrorBody(status: number): Record<string, unknown> {
  const text: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    429: 'Too Many Requests: retry after 5',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return {
    ok: false,
    error_code: status,
    description: text[status] ?? `Error ${status}`,
    ...(status === 429 ? { parameters: { retry_after: 5 } } : {}),
  };
}
