import express, { type NextFunction, type Request, type Response } from 'express';
import { ControlError, type TelegramCore } from './core';
import type { RateLimits } from './rate-limit';
import type { ChatState } from './store';
import type { SandboxUserInput, TgMessage, Transcript } from './types';

/**
 * The control API under `/__control/` — what a Telegram user would do, for tests and the web
 * chat — plus read-outs of what the bot did. All bodies and answers are JSON; errors are
 * `{ok:false, error}` with a 4xx status. Not recorded as bot traffic and not subject to injected
 * faults (a "Telegram outage" does not stop users typing).
 */

type Body = Record<string, unknown>;

const DEFAULT_WAIT_MS = 10_000;
const MAX_WAIT_MS = 120_000;

function int(value: unknown, name: string, required = false): number | undefined {
  if (value === undefined || value === null || value === '') {
    if (required) throw new ControlError(400, `${name} is required`);
    return undefined;
  }
  const n = typeof value === 'number' ? value : Number(String(value));
  if (!Number.isSafeInteger(n)) throw new ControlError(400, `${name} must be an integer`);
  return n;
}

function num(value: unknown, name: string): number {
  const n = typeof value === 'number' ? value : Number(String(value));
  if (value === undefined || value === null || value === '' || !Number.isFinite(n)) throw new ControlError(400, `${name} must be a number`);
  return n;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function userOf(body: Body): SandboxUserInput & { replyToMessageId?: number } {
  const user: SandboxUserInput & { replyToMessageId?: number } = {};
  const userId = int(body.userId, 'userId');
  if (userId !== undefined) user.userId = userId;
  if (str(body.firstName)) user.firstName = str(body.firstName);
  if (str(body.lastName)) user.lastName = str(body.lastName);
  if (str(body.username)) user.username = (str(body.username) as string).replace(/^@/, '');
  if (str(body.languageCode)) user.languageCode = str(body.languageCode);
  const replyTo = int(body.replyToMessageId, 'replyToMessageId');
  if (replyTo !== undefined) user.replyToMessageId = replyTo;
  return user;
}

function bytesOf(body: Body, base64Field: string): Buffer | undefined {
  const b64 = str(body[base64Field]);
  if (b64) return Buffer.from(b64.replace(/^data:[^,]*,/, ''), 'base64');
  if (Array.isArray(body.bytes)) return Buffer.from(body.bytes.map((n) => Number(n) & 0xff));
  return undefined;
}

function chatSummary(state: ChatState): Record<string, unknown> {
  const last = [...state.messages].reverse().find((m) => !m.deleted);
  return {
    chat: state.chat,
    revision: state.revision,
    blocked: state.blocked,
    messageCount: state.messages.length,
    lastMessage: last ? { direction: last.direction, date: last.message.date, text: last.message.text ?? last.message.caption ?? kindOf(last.message) } : null,
  };
}

function kindOf(message: TgMessage): string {
  if (message.voice) return '🎤 голосовое';
  if (message.photo) return '📷 фото';
  if (message.document) return '📎 документ';
  if (message.location) return '📍 геопозиция';
  if (message.contact) return '👤 контакт';
  return '';
}

/** Bot messages newer than `afterMessageId`, not deleted. */
export function botMessagesAfter(transcript: Transcript, afterMessageId: number): TgMessage[] {
  return transcript.messages.filter((m) => m.direction === 'bot' && !m.deleted && m.message.message_id > afterMessageId).map((m) => m.message);
}

/** The id of the newest user message, the default "after" of a wait. */
export function lastUserMessageId(state: ChatState | undefined): number {
  const last = state ? [...state.messages].reverse().find((m) => m.direction === 'user') : undefined;
  return last?.message.message_id ?? 0;
}

export function controlRouter(core: TelegramCore): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '30mb' }));

  const handle =
    (fn: (req: Request, res: Response) => unknown) =>
    (req: Request, res: Response, next: NextFunction): void => {
      Promise.resolve()
        .then(() => fn(req, res))
        .then((result) => {
          if (result !== undefined && !res.headersSent) res.json({ ok: true, ...(result as object) });
        })
        .catch((error: unknown) => {
          if (res.headersSent) return;
          if (error instanceof ControlError) res.status(error.status).json({ ok: false, error: error.message });
          else if (error instanceof SyntaxError) res.status(400).json({ ok: false, error: error.message });
          else next(error);
        });
    };

  const chatIdOf = (req: Request): number => int(req.params.chatId ?? (req.body as Body)?.chatId, 'chatId', true) as number;
  const body = (req: Request): Body => (req.body && typeof req.body === 'object' ? (req.body as Body) : {});

  router.get(
    '/state',
    handle(() => ({
      bot: core.bot,
      token: core.token,
      webhook: core.updates.webhookInfo(),
      polling: core.updates.isPolling,
      pendingUpdates: core.updates.pendingCount,
      chats: core.chats.list().map(chatSummary),
      commands: Object.fromEntries(core.commands),
      limits: core.limiter.limits,
      refused: core.limiter.refused,
      calls: Object.fromEntries(core.calls),
      files: core.files.size,
    })),
  );

  router.get('/chats', handle(() => ({ chats: core.chats.list().map(chatSummary) })));

  router.post(
    '/chats',
    handle((req) => {
      const b = body(req);
      const chatId = chatIdOf(req);
      const type = str(b.type);
      if (type && !['private', 'group', 'supergroup', 'channel'].includes(type)) throw new ControlError(400, 'type must be private, group, supergroup or channel');
      const state = core.chats.ensure(chatId, { ...userOf(b), ...(type ? { type: type as ChatState['chat']['type'] } : {}), ...(str(b.title) ? { title: str(b.title) } : {}) });
      return chatSummary(state);
    }),
  );

  router.post(
    '/chats/:chatId/block',
    handle((req) => {
      const state = core.chats.find(chatIdOf(req));
      if (!state) throw new ControlError(404, 'chat not found');
      core.chats.setBlocked(state, body(req).blocked !== false);
      return chatSummary(state);
    }),
  );

  router.post('/messages', handle((req) => core.sendText(chatIdOf(req), String(body(req).text ?? ''), userOf(body(req)))));

  router.post(
    '/voice',
    handle((req) => {
      const b = body(req);
      const ogg = bytesOf(b, 'oggBase64');
      const duration = b.duration === undefined ? undefined : num(b.duration, 'duration');
      const { update, message, file } = core.sendVoice(
        chatIdOf(req),
        { ...(ogg ? { ogg } : {}), ...(str(b.text) !== undefined ? { text: str(b.text) } : {}), ...(duration !== undefined ? { duration } : {}) },
        userOf(b),
      );
      return { update, message, fileId: file.file_id, filePath: file.file_path };
    }),
  );

  router.post(
    '/photo',
    handle((req) => {
      const b = body(req);
      const image = bytesOf(b, 'imageBase64');
      return core.sendPhoto(chatIdOf(req), { ...(image ? { image } : {}), ...(str(b.caption) ? { caption: str(b.caption) } : {}) }, userOf(b));
    }),
  );

  router.post(
    '/document',
    handle((req) => {
      const b = body(req);
      const bytes = bytesOf(b, 'base64');
      if (!bytes) throw new ControlError(400, 'base64 (file content) is required');
      return core.sendDocument(
        chatIdOf(req),
        { bytes, fileName: str(b.fileName) ?? 'document.bin', ...(str(b.mimeType) ? { mimeType: str(b.mimeType) } : {}), ...(str(b.caption) ? { caption: str(b.caption) } : {}) },
        userOf(b),
      );
    }),
  );

  router.post(
    '/location',
    handle((req) => {
      const b = body(req);
      return core.sendLocation(chatIdOf(req), { latitude: num(b.latitude, 'latitude'), longitude: num(b.longitude, 'longitude') }, userOf(b));
    }),
  );

  router.post(
    '/contact',
    handle((req) => {
      const b = body(req);
      return core.sendContact(
        chatIdOf(req),
        { phoneNumber: String(b.phoneNumber ?? ''), ...(str(b.contactFirstName) ? { firstName: str(b.contactFirstName) } : {}), own: b.own !== false },
        userOf(b),
      );
    }),
  );

  router.post(
    '/callback',
    handle((req) => {
      const b = body(req);
      const messageId = int(b.messageId, 'messageId');
      const { update, callback } = core.pressButton(
        chatIdOf(req),
        {
          ...(messageId !== undefined ? { messageId } : {}),
          ...(b.data !== undefined ? { data: String(b.data) } : {}),
          ...(str(b.text) !== undefined ? { text: str(b.text) } : {}),
          force: b.force === true,
        },
        userOf(b),
      );
      return { update, callbackQuery: callback.query };
    }),
  );

  router.get(
    '/chats/:chatId/messages',
    handle((req) => {
      const state = core.chats.find(chatIdOf(req));
      if (!state) throw new ControlError(404, 'chat not found');
      return core.chats.transcript(state);
    }),
  );

  /**
   * Long-poll. With `afterRevision`: until anything in the chat changes, answers the transcript.
   * Otherwise: until the bot sends a message newer than `afterMessageId` (default: the newest
   * user message), answers those messages. `timedOut: true` when nothing came in `timeoutMs`.
   */
  router.get(
    '/chats/:chatId/wait',
    handle(async (req, res) => {
      const chatId = chatIdOf(req);
      const timeoutMs = Math.min(MAX_WAIT_MS, Math.max(0, int(req.query.timeoutMs, 'timeoutMs') ?? DEFAULT_WAIT_MS));
      const aborted = new AbortController();
      res.on('close', () => {
        if (!res.writableEnded) aborted.abort();
      });
      const afterRevision = int(req.query.afterRevision, 'afterRevision');
      if (afterRevision !== undefined) {
        const ok = await core.chats.waitFor(chatId, () => (core.chats.find(chatId)?.revision ?? 0) > afterRevision, timeoutMs, aborted.signal);
        const state = core.chats.find(chatId);
        return { timedOut: !ok, revision: state?.revision ?? 0, transcript: state ? core.chats.transcript(state) : null };
      }
      const after = int(req.query.afterMessageId, 'afterMessageId') ?? lastUserMessageId(core.chats.find(chatId));
      const newer = (): TgMessage[] => {
        const state = core.chats.find(chatId);
        return state ? botMessagesAfter(core.chats.transcript(state), after) : [];
      };
      const ok = await core.chats.waitFor(chatId, () => newer().length > 0, timeoutMs, aborted.signal);
      return { timedOut: !ok, afterMessageId: after, messages: newer(), revision: core.chats.find(chatId)?.revision ?? 0 };
    }),
  );

  router.get('/updates', handle(() => ({ pending: core.updates.peek(), history: core.updates.history })));

  router.get('/webhook', handle(() => ({ info: core.updates.webhookInfo(), deliveries: core.updates.deliveries })));
  router.post(
    '/webhook/retry',
    handle(() => {
      core.updates.retryNow();
      return { info: core.updates.webhookInfo() };
    }),
  );

  router.get('/files/:fileId', (req, res) => {
    const file = core.files.get(String(req.params.fileId));
    if (!file) {
      res.status(404).json({ ok: false, error: 'file not found' });
      return;
    }
    res.setHeader('Content-Type', file.mime_type);
    res.setHeader('Cache-Control', 'private, max-age=3600');
    res.end(file.bytes);
  });

  router.get('/limits', handle(() => ({ limits: core.limiter.limits, refused: core.limiter.refused })));
  router.post(
    '/limits',
    handle((req) => {
      const b = body(req);
      const patch: Partial<RateLimits> = {};
      for (const key of ['maxPerChatPerSecond', 'burstPerChat', 'maxGlobalPerSecond', 'maxPerGroupPerMinute'] as const) {
        if (b[key] !== undefined) patch[key] = b[key] === null ? 0 : num(b[key], key);
      }
      return { limits: core.limiter.setLimits(patch) };
    }),
  );

  router.get('/faults', handle(() => ({ methods: Object.fromEntries(core.methodFaults) })));
  router.post(
    '/faults',
    handle((req) => {
      const b = body(req);
      const method = str(b.method);
      if (!method) throw new ControlError(400, 'method is required (e.g. "getFile")');
      if (b.clear === true) {
        core.methodFaults.delete(method.toLowerCase());
        return { methods: Object.fromEntries(core.methodFaults) };
      }
      const fault = core.failNext(method, {
        ...(b.status !== undefined ? { status: int(b.status, 'status') } : {}),
        ...(str(b.description) ? { description: str(b.description) } : {}),
        ...(b.retryAfter !== undefined ? { retryAfter: int(b.retryAfter, 'retryAfter') } : {}),
        ...(b.times !== undefined ? { times: int(b.times, 'times') } : {}),
      });
      return { fault, methods: Object.fromEntries(core.methodFaults) };
    }),
  );

  router.get('/commands', handle(() => ({ commands: Object.fromEntries(core.commands) })));

  router.post(
    '/reset',
    handle(() => {
      core.reset();
      return {};
    }),
  );

  return router;
}
