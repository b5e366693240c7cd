import { BotApiError, badRequest } from './errors';
import type { TgUpdate, TgWebhookInfo } from './types';
import { isRejectedHttpUrl } from './urls';

/**
 * The bot's update queue, delivered either by `getUpdates` long polling or to a webhook — never
 * both, as on Telegram:
 * - `offset` confirms every update below it (a negative offset keeps only the last -offset);
 *   unconfirmed updates come again on the next call;
 * - `timeout` (seconds) holds the request open until an update arrives;
 * - one poller at a time: a newer getUpdates terminates the pending one with
 *   `409 Conflict: terminated by other getUpdates request; make sure that only one bot instance is running`;
 * - while a webhook is set getUpdates answers 409, and updates are POSTed to the webhook one at a
 *   time, in order, retried with back-off until the receiver answers 2xx.
 */

export type UpdateType = Exclude<keyof TgUpdate, 'update_id'>;

/** What Telegram sends when allowed_updates is empty or unset. */
const DEFAULT_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

export interface WebhookState {
  url: string;
  secretToken?: string;
  maxConnections: number;
  allowedUpdates?: string[];
  ipAddress?: string;
  hasCustomCertificate: boolean;
  lastErrorDate?: number;
  lastErrorMessage?: string;
  /** Bumped on every setWebhook, so a delivery loop of an older webhook stops. */
  generation: number;
}

interface Poller {
  readonly id: number;
  wake(): void;
  terminate(): void;
}

export interface UpdateQueueOptions {
  now: () => number;
  firstUpdateId?: number;
  /** How long the sandbox waits for a webhook receiver, ms (Telegram: about a minute). */
  webhookTimeoutMs?: number;
  /** First retry delay after a failed webhook delivery, ms; doubles up to webhookMaxRetryMs. */
  webhookRetryMs?: number;
  webhookMaxRetryMs?: number;
  /** Telegram's rules for webhook URLs (HTTPS; ports 443, 80, 88, 8443). Off by default. */
  strictWebhookUrls?: boolean;
  /** Carries out a method the webhook receiver put in its answer (`{"method":"sendMessage",…}`). */
  onWebhookReply?: (params: Record<string, unknown>) => Promise<void>;
}

export class UpdateQueue {
  private pending: TgUpdate[] = [];
  private nextId: number;
  private poller: Poller | undefined;
  private pollerCounter = 0;
  private pollAllowed: string[] | undefined;
  private hook: WebhookState | undefined;
  private generation = 0;
  private delivering = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryWake: (() => void) | undefined;
  private closed = false;
  /** Every update ever queued (for the control API), newest last, bounded. */
  readonly history: TgUpdate[] = [];
  readonly deliveries: Array<{ at: number; update_id: number; url: string; status?: number; error?: string }> = [];

  constructor(private readonly options: UpdateQueueOptions) {
    this.nextId = options.firstUpdateId ?? 100_000_001;
  }

  get webhook(): WebhookState | undefined {
    return this.hook;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  get isPolling(): boolean {
    return this.poller !== undefined;
  }

  /** Queues an update (given without update_id); returns it, or undefined when filtered out. */
  push(body: Omit<TgUpdate, 'update_id'>): TgUpdate | undefined {
    const update = { update_id: this.nextId++, ...body } as TgUpdate;
    const type = updateType(update);
    const allowed = this.hook ? this.hook.allowedUpdates : this.pollAllowed;
    const accepted = allowed && allowed.length > 0 ? allowed.includes(type) : !DEFAULT_EXCLUDED.has(type);
    this.history.push(update);
    if (this.history.length > 1000) this.history.shift();
    if (!accepted) return undefined;
    this.pending.push(update);
    this.poller?.wake();
    if (this.hook) void this.deliver();
    return update;
  }

  peek(): TgUpdate[] {
    return structuredClone(this.pending);
  }

  // ----------------------------------------------------------------------------------------------
  // getUpdates

  async getUpdates(
    params: { offset?: number; limit?: number; timeout?: number; allowedUpdates?: string[] },
    signal: AbortSignal,
  ): Promise<TgUpdate[]> {
    if (this.hook) {
      throw new BotApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    const limit = Math.min(100, Math.max(1, params.limit ?? 100));
    const timeoutMs = Math.min(3600, Math.max(0, params.timeout ?? 0)) * 1000;
    if (params.allowedUpdates !== undefined) this.pollAllowed = params.allowedUpdates;

    // A newer request ends the one that is waiting.
    this.poller?.terminate();
    this.confirm(params.offset);

    const available = (): TgUpdate[] => this.pending.slice(0, limit);
    if (available().length > 0 || timeoutMs === 0) return structuredClone(available());

    const id = ++this.pollerCounter;
    const outcome = await new Promise<'wake' | 'timeout' | 'terminated' | 'aborted'>((resolve) => {
      const finish = (how: 'wake' | 'timeout' | 'terminated' | 'aborted'): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.poller?.id === id) this.poller = undefined;
        resolve(how);
      };
      const onAbort = (): void => finish('aborted');
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      this.poller = { id, wake: () => finish('wake'), terminate: () => finish('terminated') };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    if (outcome === 'terminated') {
      throw new BotApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
    }
    if (this.hook) {
      throw new BotApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    return structuredClone(available());
  }

  private confirm(offset: number | undefined): void {
    if (offset === undefined || offset === 0) return;
    if (offset > 0) {
      this.pending = this.pending.filter((u) => u.update_id >= offset);
    } else {
      this.pending = this.pending.slice(Math.max(0, this.pending.length + offset));
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Webhook

  setWebhook(input: {
    url: string;
    secretToken?: string;
    maxConnections?: number;
    allowedUpdates?: string[];
    dropPendingUpdates?: boolean;
    ipAddress?: string;
    hasCertificate?: boolean;
  }): string {
    const url = input.url.trim();
    if (!url) return this.deleteWebhook(Boolean(input.dropPendingUpdates));
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
    }
    if (this.options.strictWebhookUrls) {
      if (parsed.protocol !== 'https:') throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      const port = parsed.port || '443';
      if (!['443', '80', '88', '8443'].includes(port)) throw badRequest('bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443');
      if (isRejectedHttpUrl(url)) throw badRequest('bad webhook: IP address 127.0.0.1 is reserved');
    } else if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
    }
    if (input.secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(input.secretToken)) {
      throw badRequest('bad webhook: Secret token contains unallowed characters');
    }
    const maxConnections = input.maxConnections ?? 40;
    if (maxConnections < 1 || maxConnections > 100) throw badRequest('bad webhook: max_connections must be between 1 and 100');
    const same = this.hook && this.hook.url === url && this.hook.secretToken === input.secretToken;
    if (input.dropPendingUpdates) this.pending = [];
    this.hook = {
      url,
      maxConnections,
      hasCustomCertificate: Boolean(input.hasCertificate),
      generation: ++this.generation,
      ...(input.secretToken !== undefined ? { secretToken: input.secretToken } : {}),
      ...(input.allowedUpdates !== undefined ? { allowedUpdates: input.allowedUpdates } : this.hook?.allowedUpdates ? { allowedUpdates: this.hook.allowedUpdates } : {}),
      ...(input.ipAddress !== undefined ? { ipAddress: input.ipAddress } : {}),
    };
    this.poller?.wake();
    this.retryWake?.();
    void this.deliver();
    return same ? 'Webhook is already set' : 'Webhook was set';
  }

  deleteWebhook(dropPendingUpdates: boolean): string {
    const had = this.hook !== undefined;
    this.hook = undefined;
    this.generation++;
    this.retryWake?.();
    if (dropPendingUpdates) this.pending = [];
    return had ? 'Webhook was deleted' : 'Webhook is already deleted';
  }

  webhookInfo(): TgWebhookInfo {
    const hook = this.hook;
    if (!hook) return { url: '', has_custom_certificate: false, pending_update_count: this.pending.length };
    return {
      url: hook.url,
      has_custom_certificate: hook.hasCustomCertificate,
      pending_update_count: this.pending.length,
      max_connections: hook.maxConnections,
      ip_address: hook.ipAddress ?? '127.0.0.1',
      ...(hook.lastErrorDate !== undefined ? { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage } : {}),
      ...(hook.allowedUpdates ? { allowed_updates: hook.allowedUpdates } : {}),
    };
  }

  private async deliver(): Promise<void> {
    if (this.delivering || this.closed) return;
    this.delivering = true;
    let backoff = this.options.webhookRetryMs ?? 1000;
    try {
      while (!this.closed && this.hook && this.pending.length > 0) {
        const hook = this.hook;
        const update = this.pending[0];
        const delivered = await this.post(hook, update);
        if (this.hook?.generation !== hook.generation) continue;
        if (delivered) {
          if (this.pending[0] === update) this.pending.shift();
          backoff = this.options.webhookRetryMs ?? 1000;
        } else {
          await this.sleep(backoff);
          backoff = Math.min(backoff * 2, this.options.webhookMaxRetryMs ?? 60_000);
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  private async post(hook: WebhookState, update: TgUpdate): Promise<boolean> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (hook.secretToken) headers['x-telegram-bot-api-secret-token'] = hook.secretToken;
    const record: UpdateQueue['deliveries'][number] = { at: this.options.now(), update_id: update.update_id, url: hook.url };
    this.deliveries.push(record);
    if (this.deliveries.length > 500) this.deliveries.shift();
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(update),
        signal: AbortSignal.timeout(this.options.webhookTimeoutMs ?? 60_000),
      });
      record.status = res.status;
      const text = await res.text();
      if (res.status < 200 || res.status > 299) {
        this.fail(hook, `Wrong response from the webhook: ${res.status} ${res.statusText}`.trim());
        record.error = hook.lastErrorMessage;
        return false;
      }
      await this.replyInResponse(res.headers.get('content-type'), text);
      return true;
    } catch (error) {
      const e = error as { name?: string; cause?: { code?: string } };
      const reason =
        e.name === 'TimeoutError' ? 'Read timeout expired' : e.cause?.code === 'ECONNREFUSED' ? 'Connection refused' : `Connection error: ${String((error as Error).message)}`;
      this.fail(hook, reason);
      record.error = reason;
      return false;
    }
  }

  private async replyInResponse(contentType: string | null, text: string): Promise<void> {
    if (!text || !contentType?.includes('json') || !this.options.onWebhookReply) return;
    try {
      const body = JSON.parse(text) as unknown;
      if (body && typeof body === 'object' && typeof (body as { method?: unknown }).method === 'string') {
        await this.options.onWebhookReply(body as Record<string, unknown>);
      }
    } catch {
      // Telegram ignores an answer it cannot use.
    }
  }

  private fail(hook: WebhookState, message: string): void {
    if (this.hook?.generation !== hook.generation) return;
    hook.lastErrorDate = Math.floor(this.options.now() / 1000);
    hook.lastErrorMessage = message;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.retryWake = undefined;
        resolve();
      };
      this.retryTimer = setTimeout(done, ms);
      this.retryWake = done;
    });
  }

  /** Retries a failing webhook delivery now instead of after the back-off. */
  retryNow(): void {
    this.retryWake?.();
    void this.deliver();
  }

  reset(): void {
    this.poller?.wake();
    this.pending = [];
    this.history.length = 0;
    this.deliveries.length = 0;
    this.pollAllowed = undefined;
    this.deleteWebhook(true);
  }

  close(): void {
    this.closed = true;
    this.poller?.wake();
    this.retryWake?.();
  }

  open(): void {
    this.closed = false;
    if (this.hook) void this.deliver();
  }
}

export function updateType(update: TgUpdate): UpdateType {
  const key = Object.keys(update).find((k) => k !== 'update_id');
  return (key ?? 'message') as UpdateType;
}
