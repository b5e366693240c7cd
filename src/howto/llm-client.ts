import { httpRequest, isTransientStatus, journalSafely, sleep, TransportError, type HttpAnswer, type JournalSink } from '../stt/http';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ChatOptions {
  readonly correlationId?: string;
  readonly signal?: AbortSignal;
  readonly maxTokens?: number;
  readonly temperature?: number;
}

export interface ChatCompletion {
  readonly text: string;
  readonly model: string;
  readonly finishReason?: string;
  readonly durationMs: number;
}

/** What howTo needs from an LLM: one prompt in, one text out. */
export interface LlmClient {
  complete(messages: readonly ChatMessage[], options?: ChatOptions): Promise<ChatCompletion>;
}

export type LlmFailureReason = 'unavailable' | 'auth' | 'rejected' | 'empty';

export abstract class LlmError extends Error {
  abstract readonly reason: LlmFailureReason;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly httpStatus?: number,
    readonly providerCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Unreachable, timed out, 429 or 5xx. */
export class LlmUnavailableError extends LlmError {
  override readonly name = 'LlmUnavailableError';
  readonly reason = 'unavailable';
  readonly code = 'LLM_UNAVAILABLE';
}

/** 401/403: the key is wrong or lacks access. */
export class LlmAuthError extends LlmError {
  override readonly name = 'LlmAuthError';
  readonly reason = 'auth';
  readonly code = 'LLM_AUTH';
}

/** Another 4xx (unknown model, bad parameter). */
export class LlmRequestError extends LlmError {
  override readonly name = 'LlmRequestError';
  readonly reason = 'rejected';
  readonly code = 'LLM_REJECTED';
}

/** 200 without any text. */
export class LlmEmptyError extends LlmError {
  override readonly name = 'LlmEmptyError';
  readonly reason = 'empty';
  readonly code = 'LLM_EMPTY';
}

export interface LlmConfig {
  /** Base URL (`https://api.openai.com/v1`) or the full `/chat/completions` endpoint. */
  readonly url: string;
  readonly apiKey?: string;
  readonly model: string;
  /** Per attempt, ms; default 8000. */
  readonly timeoutMs?: number;
  /** Extra attempts on connection errors and 429/5xx (not on timeouts); default 0. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Where each call is journaled (system `llm`). */
  readonly journal?: JournalSink;
}

export const DEFAULT_LLM_MODEL = 'gpt-4o-mini';

export function chatCompletionsEndpoint(url: string): string {
  const base = url.trim().replace(/\/+$/, '');
  if (/\/chat\/completions$/.test(base)) return base;
  if (/\/v\d+(beta)?$/.test(base)) return `${base}/chat/completions`;
  return `${base}/v1/chat/completions`;
}

function errorText(answer: HttpAnswer): string {
  const body = answer.json as { error?: { message?: unknown } | string } | undefined;
  if (body && typeof body.error === 'object' && typeof body.error.message === 'string') return body.error.message;
  if (body && typeof body.error === 'string') return body.error;
  return answer.text ? answer.text.slice(0, 300) : `HTTP ${answer.status}`;
}

/**
 * A minimal OpenAI-compatible chat completions client (OpenAI, YandexGPT's OpenAI API, vLLM,
 * Ollama…): prompt in, text out, with a timeout, optional retries and journaling (system `llm`,
 * operation `chat.completions`, the user question and the answer, personal data masked).
 */
export class OpenAiChatClient implements LlmClient {
  readonly endpoint: string;

  constructor(readonly config: LlmConfig) {
    if (!config.url) throw new Error('LLM url is required');
    this.endpoint = chatCompletionsEndpoint(config.url);
  }

  async complete(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatCompletion> {
    const started = performance.now();
    const attempts = 1 + Math.max(0, this.config.retries ?? 0);
    const body = JSON.stringify({
      model: this.config.model,
      messages,
      temperature: options.temperature ?? this.config.temperature ?? 0.3,
      max_tokens: options.maxTokens ?? this.config.maxTokens ?? 500,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    const question = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';

    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
      const record = (status: string, f: { httpStatus?: number; durationMs: number; answer?: string; finishReason?: string; error?: string }): void =>
        journalSafely(this.config.journal, {
          correlationId: options.correlationId ?? null,
          system: 'llm',
          operation: 'chat.completions',
          direction: 'out',
          status,
          attempt,
          httpStatus: f.httpStatus ?? null,
          durationMs: f.durationMs,
          body: { model: this.config.model, question, ...(f.answer !== undefined ? { answer: f.answer, finishReason: f.finishReason } : {}) },
          bodyMode: 'masked',
          error: f.error,
        });

      let answer: HttpAnswer;
      try {
        answer = await httpRequest(this.endpoint, { method: 'POST', headers, body, timeoutMs: this.config.timeoutMs ?? 8000, signal: options.signal });
      } catch (error) {
        const t = error instanceof TransportError ? error : new TransportError(String(error), false, 0);
        const retry = !last && !t.timedOut;
        record(retry ? 'retry' : 'error', { durationMs: t.durationMs, error: t.message });
        if (retry) {
          await sleep(this.config.retryDelayMs ?? 300);
          continue;
        }
        throw new LlmUnavailableError(`LLM unreachable: ${t.message}`, undefined, undefined, { cause: error });
      }

      if (answer.status >= 200 && answer.status < 300) {
        const json = answer.json as { model?: unknown; choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }> } | undefined;
        const choice = json?.choices?.[0];
        const text = typeof choice?.message?.content === 'string' ? choice.message.content.trim() : '';
        const finishReason = typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined;
        if (!text) {
          record('error', { httpStatus: answer.status, durationMs: answer.durationMs, error: 'empty completion' });
          throw new LlmEmptyError('the LLM answered without text', answer.status);
        }
        record('ok', { httpStatus: answer.status, durationMs: answer.durationMs, answer: text, finishReason });
        return { text, model: typeof json?.model === 'string' ? json.model : this.config.model, finishReason, durationMs: Math.round(performance.now() - started) };
      }

      const message = errorText(answer);
      const code = (answer.json as { error?: { code?: unknown } } | undefined)?.error?.code;
      const providerCode = typeof code === 'string' ? code : undefined;
      if (isTransientStatus(answer.status)) {
        const retry = !last;
        record(retry ? 'retry' : 'error', { httpStatus: answer.status, durationMs: answer.durationMs, error: message });
        if (retry) {
          await sleep(this.config.retryDelayMs ?? 300);
          continue;
        }
        throw new LlmUnavailableError(`LLM answered ${answer.status}: ${message}`, answer.status, providerCode);
      }
      record('error', { httpStatus: answer.status, durationMs: answer.durationMs, error: message });
      if (answer.status === 401 || answer.status === 403) throw new LlmAuthError(`LLM refused the key: ${message}`, answer.status, providerCode);
      throw new LlmRequestError(`LLM refused the request: ${message}`, answer.status, providerCode);
    }
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * LLM settings from the environment; undefined when LLM_URL is not set (curated tips only):
 * LLM_URL, LLM_API_KEY, LLM_MODEL (gpt-4o-mini), LLM_TIMEOUT_MS (8000), LLM_TEMPERATURE (0.3),
 * LLM_MAX_TOKENS (500), LLM_RETRIES (0).
 */
export function llmConfigFromEnv(env: Env = process.env): LlmConfig | undefined {
  const url = env.LLM_URL?.trim();
  if (!url) return undefined;
  const num = (name: string, check: (n: number) => boolean): number | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || !check(n)) throw new Error(`${name}="${raw}" is not a valid number`);
    return n;
  };
  return {
    url,
    apiKey: env.LLM_API_KEY?.trim() || undefined,
    model: env.LLM_MODEL?.trim() || DEFAULT_LLM_MODEL,
    timeoutMs: num('LLM_TIMEOUT_MS', (n) => Number.isInteger(n) && n > 0),
    temperature: num('LLM_TEMPERATURE', (n) => n >= 0 && n <= 2),
    maxTokens: num('LLM_MAX_TOKENS', (n) => Number.isInteger(n) && n > 0),
    retries: num('LLM_RETRIES', (n) => Number.isInteger(n) && n >= 0),
  };
}

/** A client for the config, or undefined when there is none (how-to answers from curated tips). */
export function createLlmClient(config: LlmConfig | undefined): OpenAiChatClient | undefined {
  return config?.url ? new OpenAiChatClient(config) : undefined;
}
