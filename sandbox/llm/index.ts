import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { FakeServer } from '../harness';
import { OpenAiError, openAiSystemBody, sendOpenAiError } from '../stt/errors';
import { mountControlRoutes } from '../stt/mount';
import { authorizeOpenAi } from '../stt/openai';
import { DEFAULT_REPLIES, DEFAULT_REPLY, type ScriptedReply } from './replies';

export { DEFAULT_REPLIES, DEFAULT_REPLY, type ScriptedReply } from './replies';

export const DEFAULT_LLM_API_KEY = 'sk-llm-sandbox-0000000000000000';
export const DEFAULT_LLM_MODELS: readonly string[] = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'yandexgpt-lite'];
export const LLM_CONTROL_BASE = '/__sandbox/llm';
export const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

/** One chat completion the sandbox answered. */
export interface LlmCall {
  readonly at: string;
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly reply: string;
  readonly finishReason: 'stop' | 'length';
}

export type ReplyFunction = (lastUserMessage: string, messages: readonly ChatMessage[]) => string | undefined;

export interface LlmSandboxOptions {
  /** Accepted `Bearer` keys; default [DEFAULT_LLM_API_KEY]. */
  apiKeys?: readonly string[];
  /** Known models; others get 404 model_not_found. */
  models?: readonly string[];
  /** Keyword table; default DEFAULT_REPLIES (short Russian repair tips). */
  replies?: readonly ScriptedReply[];
  /** Random source of the harness's error-rate faults. */
  random?: () => number;
  now?: () => Date;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** Rough token count (≈ 4 characters a token), enough for usage and max_tokens. */
function tokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function contentText(content: unknown, index: number): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part, j) => {
        const p = part as { type?: unknown; text?: unknown };
        if (p?.type === 'text' && typeof p.text === 'string') return p.text;
        throw new OpenAiError(400, `Invalid value for 'messages[${index}].content[${j}]': only text parts are supported.`, 'invalid_request_error', `messages[${index}].content[${j}]`, 'invalid_value');
      })
      .join('\n');
  }
  if (content === null || content === undefined) return '';
  throw new OpenAiError(400, `Invalid type for 'messages[${index}].content': expected one of a string or array of objects, but got ${typeof content} instead.`, 'invalid_request_error', `messages[${index}].content`, 'invalid_type');
}

/**
 * An OpenAI-compatible chat completions endpoint (`POST /v1/chat/completions`, Bearer auth)
 * answering with scripted short repair tips chosen by keywords of the last user message;
 * OpenAI-shaped errors `{error: {message, type, param, code}}`. README.md beside this file.
 */
export class LlmSandbox extends FakeServer {
  readonly calls: LlmCall[] = [];
  readonly apiKeys: Set<string>;
  readonly models: Set<string>;
  private replies: ScriptedReply[];
  private replyFunction: ReplyFunction | undefined;
  private readonly now: () => Date;

  constructor(options: LlmSandboxOptions = {}) {
    super({ name: 'llm', random: options.random, errorBody: openAiSystemBody });
    this.apiKeys = new Set(options.apiKeys ?? [DEFAULT_LLM_API_KEY]);
    this.models = new Set(options.models ?? DEFAULT_LLM_MODELS);
    this.replies = [...(options.replies ?? DEFAULT_REPLIES)];
    this.now = options.now ?? (() => new Date());

    this.app.get('/v1/models', (req, res) => {
      try {
        authorizeOpenAi(this.apiKeys, req);
        res.json({ object: 'list', data: [...this.models].map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'sandbox' })) });
      } catch (error) {
        sendOpenAiError(res, error as OpenAiError);
      }
    });
    this.app.post(
      CHAT_COMPLETIONS_PATH,
      (req, res, next) => {
        // Authentication comes before the body is even parsed, as on the real API.
        try {
          authorizeOpenAi(this.apiKeys, req);
          next();
        } catch (error) {
          sendOpenAiError(res, error as OpenAiError);
        }
      },
      express.json({ limit: '1mb', type: () => true }),
      (req, res) => this.complete(req, res),
    );
    this.app.all(CHAT_COMPLETIONS_PATH, (req, res) => {
      res.setHeader('Allow', 'POST');
      sendOpenAiError(res, new OpenAiError(405, `Invalid method for URL (${req.method} ${CHAT_COMPLETIONS_PATH})`));
    });
    this.app.use((req: Request, res: Response) => sendOpenAiError(res, new OpenAiError(404, `Invalid URL (${req.method} ${req.path})`)));
    // Malformed JSON from express.json().
    this.app.use((error: Error & { type?: string }, _req: Request, res: Response, _next: NextFunction) => {
      if (error.type === 'entity.parse.failed') {
        sendOpenAiError(res, new OpenAiError(400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"));
      } else if (error.type === 'entity.too.large') {
        sendOpenAiError(res, new OpenAiError(413, 'Request too large.'));
      } else {
        sendOpenAiError(res, new OpenAiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error'));
      }
    });
    mountControlRoutes(this.app, LLM_CONTROL_BASE, this.controlRouter());
  }

  /** Puts a keyword rule in front of the others (a string matches case-insensitively as a substring). */
  script(match: string | RegExp, text: string): void {
    const re = typeof match === 'string' ? new RegExp(match.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i') : match;
    this.replies.unshift({ match: re, text });
  }

  /** Answers every request with the function's text (undefined: fall through to the keyword table). */
  setReplyFunction(fn: ReplyFunction | undefined): void {
    this.replyFunction = fn;
  }

  /** Back to the default keyword table; forgets calls, recorded requests and faults. */
  reset(): void {
    this.replies = [...DEFAULT_REPLIES];
    this.replyFunction = undefined;
    this.calls.length = 0;
    this.clearRequests();
    this.setFaults({});
  }

  /** The scripted answer to a conversation. */
  replyFor(messages: readonly ChatMessage[]): string {
    const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const custom = this.replyFunction?.(lastUser, messages);
    if (custom !== undefined) return custom;
    return this.replies.find((r) => r.match.test(lastUser))?.text ?? DEFAULT_REPLY;
  }

  private complete(req: Request, res: Response): void {
    try {
      const body = req.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new OpenAiError(400, 'The request body must be a JSON object.');
      const model = body.model;
      if (typeof model !== 'string' || !model) throw new OpenAiError(400, 'you must provide a model parameter');
      if (!this.models.has(model)) throw new OpenAiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');
      if (body.messages === undefined) throw new OpenAiError(400, "Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter');
      if (!Array.isArray(body.messages)) throw new OpenAiError(400, "Invalid type for 'messages': expected an array of objects.", 'invalid_request_error', 'messages', 'invalid_type');
      if (body.messages.length === 0) throw new OpenAiError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'invalid_request_error', 'messages', 'empty_array');
      const messages: ChatMessage[] = body.messages.map((raw, i) => {
        const m = raw as { role?: unknown; content?: unknown };
        if (!m || typeof m !== 'object' || typeof m.role !== 'string' || !ROLES.has(m.role)) {
          throw new OpenAiError(400, `Invalid value for 'messages[${i}].role': expected one of 'system', 'developer', 'user', 'assistant' or 'tool'.`, 'invalid_request_error', `messages[${i}].role`, 'invalid_value');
        }
        return { role: m.role, content: contentText(m.content, i) };
      });
      const temperature = body.temperature;
      if (temperature !== undefined && temperature !== null && (typeof temperature !== 'number' || temperature < 0 || temperature > 2)) {
        throw new OpenAiError(400, `Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got ${String(temperature)} instead.`, 'invalid_request_error', 'temperature', 'decimal_above_max_value');
      }
      const maxTokensRaw = body.max_completion_tokens ?? body.max_tokens;
      if (maxTokensRaw !== undefined && maxTokensRaw !== null && (!Number.isInteger(maxTokensRaw) || (maxTokensRaw as number) < 1)) {
        throw new OpenAiError(400, `Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got ${String(maxTokensRaw)} instead.`, 'invalid_request_error', 'max_tokens', 'integer_below_min_value');
      }
      const n = body.n === undefined || body.n === null ? 1 : Number(body.n);
      if (!Number.isInteger(n) || n < 1 || n > 8) throw new OpenAiError(400, `Invalid 'n': expected an integer between 1 and 8.`, 'invalid_request_error', 'n', 'invalid_value');

      let reply = this.replyFor(messages);
      let finishReason: 'stop' | 'length' = 'stop';
      const maxTokens = maxTokensRaw as number | undefined;
      if (maxTokens !== undefined && tokens(reply) > maxTokens) {
        reply = reply.slice(0, maxTokens * 4);
        finishReason = 'length';
      }
      this.calls.push({ at: this.now().toISOString(), model, messages, reply, finishReason });
      if (this.calls.length > 1000) this.calls.shift();

      const id = `chatcmpl-${randomBytes(12).toString('base64url')}`;
      const created = Math.floor(this.now().getTime() / 1000);
      const promptTokens = messages.reduce((sum, m) => sum + tokens(m.content) + 4, 0);
      if (body.stream === true) {
        this.stream(res, { id, created, model, reply, finishReason, n });
        return;
      }
      res.json({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: Array.from({ length: n }, (_, index) => ({
          index,
          message: { role: 'assistant', content: reply, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason,
        })),
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: tokens(reply) * n,
          total_tokens: promptTokens + tokens(reply) * n,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
        service_tier: 'default',
        system_fingerprint: 'fp_sandbox',
      });
    } catch (error) {
      if (error instanceof OpenAiError) sendOpenAiError(res, error);
      else sendOpenAiError(res, new OpenAiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error'));
    }
  }

  /** Server-sent events as the real API streams them: role chunk, content chunks, finish, [DONE]. */
  private stream(res: Response, c: { id: string; created: number; model: string; reply: string; finishReason: string; n: number }): void {
    res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (index: number, delta: Record<string, unknown>, finish: string | null): string =>
      `data: ${JSON.stringify({ id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model, system_fingerprint: 'fp_sandbox', choices: [{ index, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    for (let index = 0; index < c.n; index++) {
      res.write(chunk(index, { role: 'assistant', content: '', refusal: null }, null));
      for (const piece of c.reply.match(/[\s\S]{1,24}/g) ?? []) res.write(chunk(index, { content: piece }, null));
      res.write(chunk(index, {}, c.finishReason));
    }
    res.end('data: [DONE]\n\n');
  }

  /** GET /calls · POST /script {match, text} · POST /reset */
  private controlRouter(): express.Router {
    const router = express.Router();
    router.use(express.json());
    router.get('/calls', (_req, res) => {
      res.json({ calls: this.calls.slice(-100), total: this.calls.length });
    });
    router.post('/script', (req, res) => {
      const { match, text } = (req.body ?? {}) as { match?: unknown; text?: unknown };
      if (typeof match !== 'string' || !match || typeof text !== 'string') return void res.status(400).json({ error: 'match and text (strings) are required' });
      this.script(match, text);
      res.status(204).end();
    });
    router.post('/reset', (_req, res) => {
      this.reset();
      res.status(204).end();
    });
    return router;
  }
}

export function createLlmSandbox(options: LlmSandboxOptions = {}): LlmSandbox {
  return new LlmSandbox(options);
}
