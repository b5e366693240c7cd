import type { RateLimits } from './rate-limit';
import type { SandboxUserInput, TgCallbackQuery, TgMessage, TgUpdate, Transcript } from './types';

/**
 * The control API over HTTP, for a sandbox running in another process (demo mode, runtime
 * tests): the same operations as TelegramSandbox's typed methods, all async.
 */
export class TelegramSandboxClient {
  constructor(readonly baseUrl: string) {}

  private async request<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl.replace(/\/$/, '')}/__control${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T & { ok: boolean; error?: string };
    if (!res.ok || json.ok === false) throw new Error(`telegram sandbox ${path}: ${res.status} ${json.error ?? ''}`.trim());
    return json;
  }

  async sendText(chatId: number, text: string, user: SandboxUserInput = {}): Promise<TgMessage> {
    return (await this.request<{ message: TgMessage }>('/messages', { chatId, text, ...user })).message;
  }

  async sendVoice(chatId: number, voice: string | { text?: string; ogg?: Buffer; duration?: number }, user: SandboxUserInput = {}): Promise<TgMessage> {
    const v = typeof voice === 'string' ? { text: voice } : voice;
    const body = { chatId, ...user, ...(v.text !== undefined ? { text: v.text } : {}), ...(v.ogg ? { oggBase64: v.ogg.toString('base64') } : {}), ...(v.duration !== undefined ? { duration: v.duration } : {}) };
    return (await this.request<{ message: TgMessage }>('/voice', body)).message;
  }

  async sendPhoto(chatId: number, photo: { image?: Buffer; caption?: string } = {}, user: SandboxUserInput = {}): Promise<TgMessage> {
    const body = { chatId, ...user, ...(photo.image ? { imageBase64: photo.image.toString('base64') } : {}), ...(photo.caption ? { caption: photo.caption } : {}) };
    return (await this.request<{ message: TgMessage }>('/photo', body)).message;
  }

  async sendLocation(chatId: number, latitude: number, longitude: number, user: SandboxUserInput = {}): Promise<TgMessage> {
    return (await this.request<{ message: TgMessage }>('/location', { chatId, latitude, longitude, ...user })).message;
  }

  async pressButton(chatId: number, press: { messageId?: number; data?: string; text?: string }, user: SandboxUserInput = {}): Promise<TgCallbackQuery> {
    return (await this.request<{ callbackQuery: TgCallbackQuery }>('/callback', { chatId, ...press, ...user })).callbackQuery;
  }

  async transcript(chatId: number): Promise<Transcript> {
    return this.request<Transcript>(`/chats/${chatId}/messages`);
  }

  /** The first bot message after `after` (default: the chat's newest user message); rejects on timeout. */
  async waitForBotMessage(chatId: number, options: { after?: number; timeoutMs?: number } = {}): Promise<TgMessage> {
    const query = new URLSearchParams({ timeoutMs: String(options.timeoutMs ?? 5000) });
    if (options.after !== undefined) query.set('afterMessageId', String(options.after));
    const res = await this.request<{ timedOut: boolean; messages: TgMessage[]; afterMessageId: number }>(`/chats/${chatId}/wait?${query}`);
    if (res.timedOut || res.messages.length === 0) throw new Error(`telegram sandbox: no bot message after #${res.afterMessageId} in chat ${chatId}`);
    return res.messages[0];
  }

  async pendingUpdates(): Promise<TgUpdate[]> {
    return (await this.request<{ pending: TgUpdate[] }>('/updates')).pending;
  }

  async failNext(method: string, fault: { status?: number; description?: string; retryAfter?: number; times?: number } = {}): Promise<void> {
    await this.request('/faults', { method, ...fault });
  }

  async setRateLimits(patch: Partial<RateLimits>): Promise<RateLimits> {
    return (await this.request<{ limits: RateLimits }>('/limits', patch)).limits;
  }

  async reset(): Promise<void> {
    await this.request('/reset', {});
  }
}
