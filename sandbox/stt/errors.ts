import type { Response } from 'express';

/** Which API a request to the STT sandbox spoke. */
export type SttProtocol = 'yandex' | 'openai' | 'other';

// ── Yandex SpeechKit v1: {"error_code": "...", "error_message": "..."} ─────────────────────
export interface YandexErrorBody {
  error_code: string;
  error_message: string;
}

export class YandexError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'YandexError';
  }

  toBody(): YandexErrorBody {
    return { error_code: this.code, error_message: this.message };
  }
}

export const yandexBadRequest = (message: string): YandexError => new YandexError(400, 'BAD_REQUEST', message);

export function yandexSystemBody(status: number): YandexErrorBody {
  switch (status) {
    case 400:
      return { error_code: 'BAD_REQUEST', error_message: 'Bad request' };
    case 401:
      return { error_code: 'UNAUTHORIZED', error_message: 'The token is invalid' };
    case 403:
      return { error_code: 'PERMISSION_DENIED', error_message: 'Permission denied' };
    case 404:
      return { error_code: 'NOT_FOUND', error_message: 'Not found' };
    case 429:
      return { error_code: 'RESOURCE_EXHAUSTED', error_message: 'Quota exceeded: too many requests' };
    case 500:
      return { error_code: 'INTERNAL', error_message: 'Internal server error' };
    case 503:
      return { error_code: 'UNAVAILABLE', error_message: 'The service is currently unavailable' };
    case 504:
      return { error_code: 'DEADLINE_EXCEEDED', error_message: 'Deadline exceeded' };
    default:
      return { error_code: status >= 500 ? 'INTERNAL' : 'BAD_REQUEST', error_message: `HTTP ${status}` };
  }
}

// ── OpenAI: {"error": {"message", "type", "param", "code"}} ───────────────────────────────
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class OpenAiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'OpenAiError';
  }

  toBody(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export function openAiSystemBody(status: number): OpenAiErrorBody {
  const body = (message: string, type: string, code: string | null = null): OpenAiErrorBody => ({ error: { message, type, param: null, code } });
  switch (status) {
    case 400:
      return body('Bad request', 'invalid_request_error');
    case 401:
      return body('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    case 403:
      return body('You are not allowed to access this resource.', 'invalid_request_error', 'unsupported_country_region_territory');
    case 404:
      return body('Not found', 'invalid_request_error');
    case 429:
      return body('Rate limit reached for requests. Please try again in 1s.', 'requests', 'rate_limit_exceeded');
    case 500:
      return body('The server had an error while processing your request. Sorry about that!', 'server_error');
    case 502:
      return body('Bad gateway.', 'server_error');
    case 503:
      return body('The engine is currently overloaded, please try again later.', 'server_error');
    case 504:
      return body('Gateway timeout.', 'server_error');
    default:
      return body(`HTTP ${status}`, status >= 500 ? 'server_error' : 'invalid_request_error');
  }
}

/** The key as OpenAI echoes it in "Incorrect API key provided: sk-abc*****wxyz". */
export function redactKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(Math.min(20, key.length - 7))}${key.slice(-4)}`;
}

export function sendYandexError(res: Response, error: YandexError): void {
  res.status(error.status).json(error.toBody());
}

export function sendOpenAiError(res: Response, error: OpenAiError): void {
  res.status(error.status).json(error.toBody());
}
