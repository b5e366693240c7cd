import type { OutgoingMessage } from '../assistant/types';
import type { JournalBodyMode, JournalEntry } from '../journal/entry';
import { BotApiError, isBotApiError, toBotApiCall, type BotApiCaller } from './bot-api';

/**
 * The bot's outbound send queue (SPEC §3.A: Telegram's limits respected by an outbound queue).
 *
 * - Order is kept per chat: one call at a time per chat, in the order given.
 * - Pacing: a token bucket per chat (≈1 message/s, a small burst) and one over all chats
 *   (≈30/s). answerCallbackQuery and sendChatAction are not messages: they skip the queue (a
 *   button must stop spinning at once) but are still retried.
 * - 429: the chat pauses for `parameters.retry_after` and the same message is tried again.
 * - Network errors, timeouts and 5xx: a few retries with exponential back-off and jitter.
 * - Other 4xx are final (bad markup, chat not found, bot blocked). Special cases: an edit of an
 *   unchanged message is a success; an edit of a message that cannot be edited is sent as a new
 *   message instead.
 * - Every final outcome is journaled (system `telegram`) and counted; failures reach onFailure.
 *
 * In process, not in PostgreSQL — on purpose. A reply is only worth sending within seconds of
 * the question; replaying stale answers after a restart would confuse more than help. Telegram
 * confirms updates by offset, so a crash loses at most the replies in flight, and the master
 * simply asks again; Telegram has no idempotency for sendMessage either, so a durable queue
 * could not promise exactly-once. What must not be lost — orders — never depends on this queue:
 * they go to the shop with an externalId or into the durable outbound queue (src/outbound).
 * Keeping it in memory also keeps the p95 update→reply budget (no database round trips), and
 * polling getUpdates admits one consumer per bot anyway, so one process sends per bot.
 */

export interface OutboxOptions {
  readonly api: BotApiCaller;
  /** Sustained messages a second into one chat (Telegram: ≈1). */
  readonly perChatPerSecond?: number;
  /** Messages a chat may take at once after a quiet spell (Telegram tolerates a short burst). */
  readonly perChatBurst?: number;
  /** Messages a second over all chats (Telegram: ≈30). */
  readonly globalPerSecond?: number;
  /** Attempts for network errors, timeouts and 5xx (default 4). */
  readonly maxAttempts?: number;
  /** 429s one message may meet before it is given up (default 10). */
  readonly maxRateLimitRetries?: number;
  /** First back-off; doubles each attempt (default 500 ms, at most 8 s). */
  readonly backoffMs?: number;
  /** A retry_after longer than this fails the message instead of holding the chat (default 5 min). */
  readonly maxRetryAfterMs?: number;
  /**
   * Added to every pacing interval (default 50 ms): our buckets start counting when a call leaves,
   * Telegram's when it arrives, and latency jitter would otherwise turn "exactly at the limit"
   * into an occasional 429.
   */
  readonly safetyMarginMs?: number;
  /** Messages waiting per chat; more are refused (default 100). */
  readonly maxQueuePerChat?: number;
  readonly journal?: { write(entry: JournalEntry): void } | null;
  /** How successful sends are journaled (failures always keep a masked body). Default 'hash'. */
  readonly journalBody?: JournalBodyMode;
  readonly metrics?: { recordOutboundOutcome(destination: string, outcome: 'delivered' | 'retry' | 'needs_human' | 'dead'): void } | null;
  readonly log?: { warn(obj: object, msg?: string): void; debug?(obj: object, msg?: string): void } | null;
  /** Called for every message that could not be sent. */
  readonly onFailure?: (message: OutgoingMessage, result: SendFailure) => void;
  readonly random?: () => number;
  readonly now?: () => number;
}

export interface SendSuccess {
  readonly ok: true;
  readonly method: string;
  readonly chatId: number;
  readonly result: unknown;
  readonly attempts: number;
  readonly durationMs: number;
}

export interface SendFailure {
  readonly ok: false;
  readonly method: string;
  readonly chatId: number;
  readonly error: string;
  readonly status?: number;
  /** Telegram's description, e.g. "Forbidden: bot was blocked by the user". */
  readonly description?: string;
  readonly attempts: number;
  readonly durationMs: number;
}

export type SendResult = SendSuccess | SendFailure;

interface Job {
  message: OutgoingMessage;
  resolve: (r: SendResult) => void;
  attempts: number;
  rateLimited: number;
  startedAt: number;
  correlationId?: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

interface ChatQueue {
  readonly chatId: number;
  readonly jobs: Job[];
  running: boolean;
  pausedUntil: number;
  readonly bucket: Bucket;
}

const NOT_MODIFIED = /message is not modified/i;
const CANNOT_EDIT = /message to edit not found|message can't be edited|MESSAGE_ID_INVALID/i;

export class TelegramOutbox {
  private readonly chats = new Map<number, ChatQueue>();
  private readonly global: Bucket;
  private readonly perChatRate: number;
  private readonly perChatBurst: number;
  private readonly globalRate: number;
  private readonly globalBurst: number;
  private readonly maxAttempts: number;
  private readonly maxRateLimitRetries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxQueuePerChat: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly idleChats = new Map<number, { bucket: Bucket; pausedUntil: number; until: number }>();
  private readonly depthListeners = new Set<(depth: number) => void>();
  private inFlightFast = 0;
  private waiting = 0;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  /** Counters for status and tests. */
  readonly stats = { sent: 0, failed: 0, retried: 0, rateLimited: 0 };

  constructor(private readonly options: OutboxOptions) {
    const margin = Math.max(0, options.safetyMarginMs ?? 50);
    // Per chat the margin is added to each interval (1 s → 1.05 s). Globally it is applied as a
    // share of one second (5 % slower): added to every 33 ms interval it would cut 30/s to 12/s,
    // and the global burst already absorbs latency jitter.
    const slower = (rate: number): number => (rate > 0 ? 1000 / (1000 / rate + margin) : 0);
    const slowerShare = (rate: number): number => (rate > 0 ? (rate * 1000) / (1000 + margin) : 0);
    this.perChatRate = slower(options.perChatPerSecond ?? 1);
    this.perChatBurst = Math.max(1, options.perChatBurst ?? 3);
    this.globalRate = slowerShare(options.globalPerSecond ?? 30);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 10;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
    this.maxQueuePerChat = options.maxQueuePerChat ?? 100;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    // The burst follows the slowed rate too, so we never empty Telegram's whole bucket at once.
    this.globalBurst = Math.max(1, Math.floor(this.globalRate));
    this.global = { tokens: this.globalRate > 0 ? this.globalBurst : 0, at: this.now() };
  }

  /** Messages waiting or being sent. */
  get depth(): number {
    return this.waiting + this.inFlightFast;
  }

  /** Called whenever the depth changes (node status). Returns the unsubscribe function. */
  onDepth(listener: (depth: number) => void): () => void {
    this.depthListeners.add(listener);
    return () => this.depthListeners.delete(listener);
  }

  /** Queues one Bot API call; resolves with its outcome (never rejects). */
  send(message: OutgoingMessage): Promise<SendResult> {
    return new Promise<SendResult>((resolve) => {
      const job: Job = { message, resolve, attempts: 0, rateLimited: 0, startedAt: this.now(), correlationId: message.correlationId };
      if (this.closed) {
        this.finishFailure(job, 'the outbox is closed');
        return;
      }
      try {
        toBotApiCall(message);
      } catch (error) {
        this.finishFailure(job, (error as Error).message);
        return;
      }
      if (message.method === 'answerCallbackQuery' || message.method === 'sendChatAction') {
        this.inFlightFast++;
        this.changed();
        void this.runFast(job);
        return;
      }
      const chat = this.chatOf(message.chatId);
      if (chat.jobs.length >= this.maxQueuePerChat) {
        this.finishFailure(job, `more than ${this.maxQueuePerChat} messages are waiting for chat ${message.chatId}`);
        return;
      }
      chat.jobs.push(job);
      this.waiting++;
      this.changed();
      if (!chat.running) void this.runChat(chat);
    });
  }

  /** Sends several in order (one chat's answer); resolves when all are done. */
  sendAll(messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    return Promise.all(messages.map((m) => this.send(m)));
  }

  /** Resolves when nothing is waiting or in flight. */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking messages, gives the queued ones `graceMs` to go out, then fails the rest
   * (they are journaled as failed).
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    if (this.depth > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.idle(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    for (const chat of this.chats.values()) {
      for (const job of chat.jobs.splice(0)) {
        this.waiting--;
        this.finishFailure(job, 'the outbox was closed before the message could be sent');
      }
    }
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
    this.changed();
  }

  // ── internals ─────────────────────────────────────────────────────────────────────
  private chatOf(chatId: number): ChatQueue {
    let chat = this.chats.get(chatId);
    if (!chat) {
      // A chat that went quiet a moment ago keeps its spent tokens and any retry_after pause:
      // Telegram's own counter for the chat does not reset when our queue empties.
      const idle = this.idleChats.get(chatId);
      this.idleChats.delete(chatId);
      chat = { chatId, jobs: [], running: false, pausedUntil: idle?.pausedUntil ?? 0, bucket: idle?.bucket ?? { tokens: this.perChatBurst, at: this.now() } };
      this.chats.set(chatId, chat);
    }
    return chat;
  }

  /** Remembers a quiet chat's pacing until its bucket has refilled and any pause has passed. */
  private rememberIdle(chat: ChatQueue): void {
    const now = this.now();
    const refillMs = this.perChatRate > 0 ? ((this.perChatBurst - chat.bucket.tokens) / this.perChatRate) * 1000 : 0;
    const until = Math.max(chat.bucket.at + refillMs, chat.pausedUntil);
    if (until <= now) return;
    this.idleChats.set(chat.chatId, { bucket: chat.bucket, pausedUntil: chat.pausedUntil, until });
    if (this.idleChats.size > 10_000) {
      for (const [id, entry] of this.idleChats) if (entry.until <= now) this.idleChats.delete(id);
    }
  }

  private changed(): void {
    const d = this.depth;
    for (const l of this.depthListeners) {
      try {
        l(d);
      } catch {
        // a status listener never breaks sending
      }
    }
    if (d === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = { timer: undefined as unknown as NodeJS.Timeout, resolve };
      entry.timer = setTimeout(() => {
        this.timers.delete(entry);
        resolve();
      }, ms);
      this.timers.add(entry);
    });
  }

  private refill(bucket: Bucket, capacity: number, rate: number, now: number): void {
    bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rate);
    bucket.at = now;
  }

  /** Milliseconds until both the chat's and the global bucket have a token (0: take now). */
  private waitFor(chat: ChatQueue): number {
    const now = this.now();
    let wait = Math.max(0, chat.pausedUntil - now);
    if (this.perChatRate > 0) {
      this.refill(chat.bucket, this.perChatBurst, this.perChatRate, now);
      if (chat.bucket.tokens < 1) wait = Math.max(wait, Math.ceil(((1 - chat.bucket.tokens) / this.perChatRate) * 1000));
    }
    if (this.globalRate > 0) {
      this.refill(this.global, this.globalBurst, this.globalRate, now);
      if (this.global.tokens < 1) wait = Math.max(wait, Math.ceil(((1 - this.global.tokens) / this.globalRate) * 1000));
    }
    return wait;
  }

  private take(chat: ChatQueue): void {
    if (this.perChatRate > 0) chat.bucket.tokens -= 1;
    if (this.globalRate > 0) this.global.tokens -= 1;
  }

  private backoff(attempt: number): number {
    const base = Math.min(8000, this.backoffMs * 2 ** (attempt - 1));
    return Math.round(base * (0.8 + this.random() * 0.4));
  }

  private async runChat(chat: ChatQueue): Promise<void> {
    chat.running = true;
    try {
      while (chat.jobs.length) {
        const wait = this.waitFor(chat);
        if (wait > 0) {
          await this.sleep(wait);
          if (this.closed && !chat.jobs.length) break;
          continue;
        }
        const job = chat.jobs[0]!;
        this.take(chat);
        const done = await this.attempt(job, chat);
        if (done) {
          chat.jobs.shift();
          this.waiting--;
          this.changed();
        }
      }
    } finally {
      chat.running = false;
      if (!chat.jobs.length) {
        this.chats.delete(chat.chatId);
        this.rememberIdle(chat);
      }
    }
  }

  private async runFast(job: Job): Promise<void> {
    try {
      for (;;) {
        const done = await this.attempt(job, undefined);
        if (done) return;
        await this.sleep(this.backoff(job.attempts));
      }
    } finally {
      this.inFlightFast--;
      this.changed();
    }
  }

  /** One try; true when the job is finished (sent or failed for good), false to try again. */
  private async attempt(job: Job, chat: ChatQueue | undefined): Promise<boolean> {
    const { method, params } = toBotApiCall(job.message);
    job.attempts++;
    try {
      const result = await this.options.api.call(method, params);
      this.finishSuccess(job, method, result);
      return true;
    } catch (error) {
      const e = isBotApiError(error) ? error : new BotApiError(method, 'network', (error as Error)?.message ?? String(error));
      if (e.botApiErrorKind === 'rate_limited') {
        this.stats.rateLimited++;
        job.attempts--; // a 429 is Telegram asking to wait, not a failed attempt
        job.rateLimited++;
        const waitMs = Math.max(1, e.retryAfterSeconds ?? 1) * 1000;
        if (job.rateLimited > this.maxRateLimitRetries || waitMs > this.maxRetryAfterMs) {
          this.finishFailure(job, e.message, e);
          return true;
        }
        this.options.metrics?.recordOutboundOutcome('telegram', 'retry');
        this.options.log?.debug?.({ chatId: job.message.chatId, method, retryAfter: e.retryAfterSeconds }, 'telegram: 429, pausing the chat');
        if (chat) {
          chat.pausedUntil = this.now() + waitMs;
          return false;
        }
        await this.sleep(waitMs);
        return false;
      }
      if (e.botApiErrorKind === 'client') {
        if (method === 'editMessageText' && NOT_MODIFIED.test(e.description)) {
          this.finishSuccess(job, method, true);
          return true;
        }
        if (method === 'editMessageText' && CANNOT_EDIT.test(e.description)) {
          // The message is gone or too old: say it again as a new message.
          const { messageId: _m, ...rest } = job.message;
          void _m;
          job.message = { ...rest, method: 'sendMessage' };
          job.attempts = 0;
          return false;
        }
        this.finishFailure(job, e.message, e);
        return true;
      }
      if (job.attempts >= this.maxAttempts) {
        this.finishFailure(job, e.message, e);
        return true;
      }
      this.stats.retried++;
      this.options.metrics?.recordOutboundOutcome('telegram', 'retry');
      if (chat) {
        chat.pausedUntil = this.now() + this.backoff(job.attempts);
        return false;
      }
      return false;
    }
  }

  private finishSuccess(job: Job, method: string, result: unknown): void {
    this.stats.sent++;
    const durationMs = this.now() - job.startedAt;
    this.options.metrics?.recordOutboundOutcome('telegram', 'delivered');
    this.journal(job, method, 'ok', 200, undefined, this.options.journalBody ?? 'hash', durationMs);
    job.resolve({ ok: true, method, chatId: job.message.chatId, result, attempts: job.attempts, durationMs });
  }

  private finishFailure(job: Job, error: string, e?: BotApiError): void {
    this.stats.failed++;
    const durationMs = this.now() - job.startedAt;
    const method = job.message.method;
    const failure: SendFailure = {
      ok: false,
      method,
      chatId: job.message.chatId,
      error,
      ...(e?.status ? { status: e.status } : {}),
      ...(e ? { description: e.description } : {}),
      attempts: job.attempts,
      durationMs,
    };
    this.options.metrics?.recordOutboundOutcome('telegram', e && !e.transient ? 'needs_human' : 'dead');
    this.journal(job, method, 'error', e?.status, error, 'masked', durationMs);
    this.options.log?.warn({ chatId: job.message.chatId, method, error, attempts: job.attempts }, 'telegram: message not sent');
    try {
      this.options.onFailure?.(job.message, failure);
    } catch {
      // reporting never breaks sending
    }
    job.resolve(failure);
  }

  private journal(job: Job, method: string, status: string, httpStatus: number | undefined, error: string | undefined, bodyMode: JournalBodyMode, durationMs: number): void {
    if (!this.options.journal) return;
    try {
      this.options.journal.write({
        correlationId: job.correlationId ?? null,
        system: 'telegram',
        operation: method,
        direction: 'out',
        status,
        httpStatus: httpStatus ?? (status === 'ok' ? 200 : null),
        attempt: Math.max(1, job.attempts),
        durationMs,
        body: toBotApiCall(job.message).params,
        bodyMode,
        ...(error ? { error } : {}),
      });
    } catch {
      // journaling never fails a send
    }
  }
}
