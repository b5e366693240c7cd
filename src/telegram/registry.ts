import { BotApi, type BotApiOptions } from './bot-api';
import { TelegramOutbox, type OutboxOptions } from './outbox';

/**
 * One outbox per bot (base URL + token) in the process, shared by every node that sends for it:
 * Telegram's limits are per bot, so two send nodes with their own queues would together exceed
 * them. Node bundles carry their own copies of src/, hence the registry on globalThis.
 */
interface Entry {
  readonly outbox: TelegramOutbox;
  readonly api: BotApi;
  users: number;
}

const KEY = Symbol.for('spareparts-mw.telegram.outboxes');

function registry(): Map<string, Entry> {
  const g = globalThis as unknown as Record<symbol, Map<string, Entry> | undefined>;
  return (g[KEY] ??= new Map());
}

export interface OutboxLease {
  readonly outbox: TelegramOutbox;
  readonly api: BotApi;
  /** The last holder closes the outbox (queued messages get `graceMs` to go out). */
  release(graceMs?: number): Promise<void>;
}

/**
 * The shared outbox of a bot; `options` apply when this call creates it (the first node wins:
 * later nodes with other pacing settings share the first one's).
 */
export function acquireOutbox(api: BotApiOptions, options: Omit<OutboxOptions, 'api'> = {}): OutboxLease {
  const client = new BotApi(api);
  const map = registry();
  let entry = map.get(client.key);
  if (!entry) {
    entry = { outbox: new TelegramOutbox({ ...options, api: client }), api: client, users: 0 };
    map.set(client.key, entry);
  }
  entry.users++;
  const shared = entry;
  let released = false;
  return {
    outbox: shared.outbox,
    api: shared.api,
    async release(graceMs = 5000) {
      if (released) return;
      released = true;
      shared.users--;
      if (shared.users > 0) return;
      if (map.get(client.key) === shared) map.delete(client.key);
      await shared.outbox.close(graceMs);
    },
  };
}
