import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createShopSandbox, type ShopSandbox } from '../../sandbox/shop';
import { createTelegramSandbox, readScriptedTranscript, type TelegramSandbox, type TgMessage, type TgUpdate } from '../../sandbox/telegram';
import { catalogPortFrom, howtoPortFrom, rateLimitPortFrom, shopPortFrom, usersPortFrom } from '../../src/assistant/adapters';
import type { AssistantContext, AssistantSettings } from '../../src/assistant/context';
import { handleUpdate } from '../../src/assistant/handle-update';
import { normalizeTelegramUpdate } from '../../src/assistant/normalize';
import type { AssistantPorts, ManagerRequest } from '../../src/assistant/ports';
import { queueOrderPortFrom } from '../../src/assistant/queued-orders';
import { PgChatStateStore } from '../../src/assistant/state-store';
import type { OutgoingMessage } from '../../src/assistant/types';
import { createAuthRuntime, type AuthRuntime } from '../../src/auth/runtime';
import { CatalogSearchService } from '../../src/catalog/search-service';
import { CatalogSyncer } from '../../src/catalog/sync';
import type { JournalEntry } from '../../src/journal/entry';
import { ShopClient } from '../../src/shop/client';
import { BotApi } from '../../src/telegram/bot-api';
import { signedFileUrl } from '../../src/telegram/file-proxy';
import { TelegramOutbox, type SendFailure } from '../../src/telegram/outbox';
import { createTestDatabase } from '../support/postgres';

export const PHOTO_BASE = 'https://mw.example.ru/api/v1/telegram/files';
export const PHOTO_SECRET = 'photo-link-secret-0123456789';
const TOKEN_KEY = 'k'.repeat(48);

/**
 * The whole assistant against real things: PostgreSQL (state, catalog cache, rate limits, queue),
 * the shop sandbox through the real ShopClient and catalog search service, the token vault, and
 * the Telegram sandbox over HTTP — updates are fetched with getUpdates, answers go out through
 * the outbox, so Telegram's own checks (HTML entities, button URLs, callback data) apply.
 *
 * Only speech-to-text is faked: voice notes are "recognised" by reading the sandbox's scripted
 * transcript tag (the src/stt module is another engineer's and has its own specs).
 */
export class AssistantHarness {
  shop!: ShopSandbox;
  tg!: TelegramSandbox;
  db!: Knex;
  drop!: () => Promise<void>;
  client!: ShopClient;
  syncer!: CatalogSyncer;
  catalog!: CatalogSearchService;
  auth!: AuthRuntime;
  outbox!: TelegramOutbox;
  api!: BotApi;
  ports!: AssistantPorts;
  settings: Partial<AssistantSettings> = { loginUrl: 'https://shop.example.ru/telegram-login' };
  readonly managerRequests: ManagerRequest[] = [];
  readonly failures: SendFailure[] = [];
  readonly journal: JournalEntry[] = [];
  readonly sent: OutgoingMessage[] = [];
  private dataDir!: string;
  private offset = 0;
  private handled = 0;
  private polling: Promise<void> | undefined;
  private running = false;
  private poll: AbortController | undefined;

  async start(options: { rateLimitPerMinute?: number } = {}): Promise<void> {
    this.shop = createShopSandbox();
    await this.shop.start();
    this.tg = createTelegramSandbox({ maxPerChatPerSecond: 0, maxGlobalPerSecond: 0 });
    await this.tg.start();
    ({ db: this.db, drop: this.drop } = await createTestDatabase('mw_test_assistant'));
    this.client = new ShopClient({ baseUrl: this.shop.url, timeoutMs: 3000, breaker: { failureThreshold: 1, cooldownMs: 300, maxCooldownMs: 300 } });
    this.syncer = new CatalogSyncer({ db: this.db, source: this.client });
    await this.syncer.syncNow();
    this.catalog = new CatalogSearchService({ db: this.db, syncer: this.syncer, shop: this.client, worker: false, pollIntervalMs: 0, rebuildDelayMs: 50 });
    await this.catalog.start();
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-assistant-'));
    this.auth = await createAuthRuntime({ db: this.db, dataDir: this.dataDir, env: { TOKEN_ENCRYPTION_KEY: TOKEN_KEY } });
    this.api = new BotApi({ token: this.tg.token, baseUrl: this.tg.url, timeoutMs: 5000 });
    this.outbox = new TelegramOutbox({
      api: this.api,
      perChatPerSecond: 0,
      globalPerSecond: 0,
      backoffMs: 50,
      journal: { write: (e) => void this.journal.push(e) },
      onFailure: (_m, f) => void this.failures.push(f),
    });
    this.ports = {
      catalog: catalogPortFrom(this.catalog),
      shop: shopPortFrom(this.client),
      users: usersPortFrom(this.auth),
      howto: howtoPortFrom(),
      rateLimit: rateLimitPortFrom(this.db, { perMinute: options.rateLimitPerMinute ?? 1000 }),
      queueOrder: queueOrderPortFrom(this.db),
      requestManager: async (r) => void this.managerRequests.push(r),
      photoUrl: (id) => signedFileUrl(PHOTO_BASE, id, PHOTO_SECRET),
    };
    this.running = true;
    this.polling = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.poll?.abort();
    await this.polling?.catch(() => undefined);
    await this.outbox?.close(1000);
    await this.catalog?.stop();
    await this.syncer?.close();
    await this.tg?.stop();
    await this.shop?.stop();
    await this.drop?.();
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  context(): AssistantContext {
    return { ports: this.ports, store: new PgChatStateStore(this.db), settings: this.settings, onProgress: (m) => void this.outbox.send(m) };
  }

  /** Like the flow: getUpdates (long poll) → normalise → (fake STT) → handleUpdate → outbox. */
  private async loop(): Promise<void> {
    while (this.running) {
      this.poll = new AbortController();
      let updates: TgUpdate[];
      try {
        updates = await this.api.call<TgUpdate[]>('getUpdates', { offset: this.offset, timeout: 1 }, this.poll.signal);
      } catch {
        if (!this.running) return;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      for (const raw of updates) {
        this.offset = raw.update_id + 1;
        let update = normalizeTelegramUpdate(raw as unknown as Record<string, unknown>);
        if (update?.kind === 'voice' && update.fileId) {
          const file = await this.api.download(update.fileId);
          const transcript = readScriptedTranscript(file.bytes);
          update = { ...update, transcript: transcript ?? undefined, ...(transcript ? {} : { failure: 'empty' }) };
        }
        if (update) {
          const out = await handleUpdate(update, this.context());
          this.sent.push(...out);
          await this.outbox.sendAll(out);
        }
        this.handled = raw.update_id;
      }
    }
  }

  /** Waits until the update was handled and every answer went out. */
  async settle(updateId: number | undefined, timeoutMs = 15_000): Promise<void> {
    const t0 = Date.now();
    while ((updateId !== undefined && this.handled < updateId) || this.outbox.depth > 0) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`update ${updateId} not handled within ${timeoutMs} ms (handled ${this.handled})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private lastBotId(chatId: number): number {
    return this.tg.botMessages(chatId).at(-1)?.message_id ?? 0;
  }

  /** Bot messages newer than `after` (edits applied). */
  newMessages(chatId: number, after: number): TgMessage[] {
    return this.tg.botMessages(chatId).filter((m) => m.message_id > after);
  }

  private async act(chatId: number, inject: () => { update?: TgUpdate }): Promise<TgMessage[]> {
    const before = this.lastBotId(chatId);
    const { update } = inject();
    await this.settle(update?.update_id);
    return this.newMessages(chatId, before);
  }

  say(chatId: number, text: string, firstName = 'Иван'): Promise<TgMessage[]> {
    return this.act(chatId, () => this.tg.core.sendText(chatId, text, { firstName }));
  }

  press(chatId: number, press: { data?: string; text?: string; messageId?: number; force?: boolean }): Promise<TgMessage[]> {
    return this.act(chatId, () => this.tg.core.pressButton(chatId, press));
  }

  photo(chatId: number): Promise<TgMessage[]> {
    return this.act(chatId, () => this.tg.core.sendPhoto(chatId, {}));
  }

  voice(chatId: number, text: string): Promise<TgMessage[]> {
    return this.act(chatId, () => this.tg.core.sendVoice(chatId, { text }));
  }

  contact(chatId: number, phoneNumber: string): Promise<TgMessage[]> {
    return this.act(chatId, () => this.tg.core.sendContact(chatId, { phoneNumber }));
  }

  location(chatId: number, latitude: number, longitude: number): Promise<TgMessage[]> {
    return this.act(chatId, () => this.tg.core.sendLocation(chatId, { latitude, longitude }));
  }

  /** Links the Telegram user to a new shop account (as the Login Widget flow would). */
  async link(telegramUserId: number, firstName = 'Иван'): Promise<{ shopUserId: number; token: string }> {
    const login = this.shop.login({ id: telegramUserId, first_name: firstName });
    await this.auth.vault.linkUser({ telegramUserId, shopUserId: login.userId, token: login.token, firstName });
    return { shopUserId: login.userId, token: login.token };
  }

  /** The answer to the callback query of the last button press. */
  lastCallbackAnswer(chatId: number): { text?: string; show_alert?: boolean } | undefined {
    return this.tg.transcript(chatId).callbacks.at(-1)?.answer;
  }

  /** Every inline button in the chat. */
  buttons(message: TgMessage | undefined): { text: string; callback_data?: string; url?: string }[] {
    return (message?.reply_markup?.inline_keyboard ?? []).flat();
  }
}

export function textOf(messages: readonly TgMessage[]): string {
  return messages.map((m) => m.text ?? '').join('\n---\n');
}
