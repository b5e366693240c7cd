import { createHash } from 'node:crypto';
import type { OutgoingMessage } from '../assistant/types';

/**
 * A minimal Telegram Bot API client: `POST ${baseUrl}/bot${token}/${method}` with a JSON body
 * (Telegram and the sandbox both accept JSON, nested objects such as reply_markup included).
 * Errors come back as BotApiError with Telegram's `error_code`, `description` and
 * `parameters.retry_after`. The token is never part of an error message.
 */
export const DEFAULT_BOT_API_URL = 'https://api.telegram.org';
export const DEFAULT_BOT_API_TIMEOUT_MS = 15_000;

export type BotApiErrorKind = 'rate_limited' | 'network' | 'timeout' | 'server' | 'client' | 'bad_response';

export class BotApiError extends Error {
  override readonly name = 'BotApiError';
  readonly botApiErrorKind: BotApiErrorKind;
  readonly method: string;
  /** HTTP status (absent for network errors and timeouts). */
  readonly status: number | undefined;
  /** Telegram's `description`, e.g. "Bad Request: can't parse entities: …". */
  readonly description: string;
  /** 429: `parameters.retry_after` (seconds). */
  readonly retryAfterSeconds: number | undefined;

  constructor(method: string, kind: BotApiErrorKind, description: string, details: { status?: number; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(`${method}: ${details.status ? `${details.status} ` : ''}${description}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.method = method;
    this.botApiErrorKind = kind;
    this.status = details.status;
    this.description = description;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }

  /** Worth trying again later: network, timeout, 5xx, 429. */
  get transient(): boolean {
    return this.botApiErrorKind !== 'client';
  }
}

export function isBotApiError(error: unknown): error is BotApiError {
  return typeof error === 'object' && error !== null && typeof (error as { botApiErrorKind?: unknown }).botApiErrorKind === 'string';
}

export interface BotApiOptions {
  readonly token: string;
  /** Default https://api.telegram.org (the telegrambot config node's "baseapiurl"). */
  readonly baseUrl?: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export interface BotApiCaller {
  call<T = unknown>(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T>;
}

export class BotApi implements BotApiCaller {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(options: BotApiOptions) {
    if (!options.token || !/^\d+:[\w-]+$/.test(options.token.trim())) throw new TypeError('Telegram bot token is missing or malformed (expected "123456:ABC…")');
    this.token = options.token.trim();
    this.baseUrl = (options.baseUrl?.trim() || DEFAULT_BOT_API_URL).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_BOT_API_TIMEOUT_MS;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** Same bot, same server: outboxes are shared per key. The token is hashed into it, never shown. */
  get key(): string {
    return `${this.baseUrl}|${createHash('sha256').update(this.token).digest('base64url').slice(0, 16)}`;
  }

  private redact(text: string): string {
    return text.split(this.token).join('<token>');
  }

  /** A file by file_id: getFile, then the download; at most `maxBytes` (default 20 MB, Telegram's own limit). */
  async download(fileId: string, options: { maxBytes?: number } = {}): Promise<DownloadedFile> {
    const file = await this.call<{ file_path?: string; file_size?: number }>('getFile', { file_id: fileId });
    const maxBytes = options.maxBytes ?? 20 * 1024 * 1024;
    if (!file.file_path) throw new BotApiError('getFile', 'client', 'the file has no file_path (too big or expired)');
    if (file.file_size !== undefined && file.file_size > maxBytes) throw new BotApiError('getFile', 'client', `the file is larger than ${maxBytes} bytes`);
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}/file/bot${this.token}/${file.file_path}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new BotApiError('file', 'network', this.redact(networkReason(cause)), { cause });
    }
    if (!res.ok) throw new BotApiError('file', res.status >= 500 ? 'server' : 'client', `HTTP ${res.status}`, { status: res.status });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > maxBytes) throw new BotApiError('file', 'client', `the file is larger than ${maxBytes} bytes`);
    const ext = file.file_path.split('.').pop()?.toLowerCase() ?? '';
    return { bytes, filePath: file.file_path, contentType: CONTENT_TYPES[ext] ?? res.headers.get('content-type') ?? 'application/octet-stream' };
  }

  async call<T = unknown>(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(`${this.baseUrl}/bot${this.token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(params),
        signal: combined,
      });
      text = await res.text();
    } catch (cause) {
      if (timeout.aborted) throw new BotApiError(method, 'timeout', `no answer within ${this.timeoutMs} ms`, { cause });
      if (signal?.aborted) throw cause;
      throw new BotApiError(method, 'network', this.redact(networkReason(cause)), { cause });
    }
    let body: { ok?: unknown; result?: unknown; description?: unknown; error_code?: unknown; parameters?: { retry_after?: unknown } } | undefined;
    try {
      body = text ? (JSON.parse(text) as typeof body) : undefined;
    } catch {
      body = undefined;
    }
    if (res.ok && body?.ok === true) return body.result as T;
    const description = this.redact(typeof body?.description === 'string' ? body.description : `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
    if (res.status === 429 || body?.error_code === 429) {
      const fromBody = Number(body?.parameters?.retry_after);
      const fromHeader = Number(res.headers.get('retry-after'));
      const retryAfterSeconds = Number.isFinite(fromBody) && fromBody >= 0 ? fromBody : Number.isFinite(fromHeader) && fromHeader >= 0 ? fromHeader : 1;
      throw new BotApiError(method, 'rate_limited', description, { status: 429, retryAfterSeconds });
    }
    if (res.status >= 500) throw new BotApiError(method, 'server', description, { status: res.status });
    if (!body) throw new BotApiError(method, res.ok ? 'bad_response' : 'server', description, { status: res.status });
    throw new BotApiError(method, 'client', description, { status: res.status });
  }
}

export interface DownloadedFile {
  readonly bytes: Buffer;
  readonly filePath: string;
  readonly contentType: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', oga: 'audio/ogg', ogg: 'audio/ogg', mp4: 'video/mp4', pdf: 'application/pdf' };

function networkReason(error: unknown): string {
  let e: unknown = error;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return `network error ${code}`;
    e = (e as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : 'network error';
}

/** An OutgoingMessage as a Bot API method and its parameters. */
export function toBotApiCall(m: OutgoingMessage): { method: string; params: Record<string, unknown> } {
  switch (m.method) {
    case 'sendMessage':
      return {
        method: 'sendMessage',
        params: compact({
          chat_id: m.chatId,
          text: m.text,
          parse_mode: m.parseMode,
          reply_markup: m.replyMarkup,
          ...(m.disableLinkPreview ? { link_preview_options: { is_disabled: true } } : {}),
        }),
      };
    case 'editMessageText':
      return { method: 'editMessageText', params: compact({ chat_id: m.chatId, message_id: m.messageId, text: m.text, parse_mode: m.parseMode, reply_markup: m.replyMarkup }) };
    case 'answerCallbackQuery':
      return { method: 'answerCallbackQuery', params: compact({ callback_query_id: m.callbackQueryId, text: m.text, show_alert: m.showAlert }) };
    case 'sendChatAction':
      return { method: 'sendChatAction', params: { chat_id: m.chatId, action: m.action ?? 'typing' } };
    default:
      throw new TypeError(`unsupported method ${String((m as { method?: unknown }).method)}`);
  }
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
