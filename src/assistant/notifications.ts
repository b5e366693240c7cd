import type { Knex } from 'knex';
import type { ShopClient } from '../shop/client';
import type { ShopOrder, ShopReturn } from '../shop/types';
import { orderFrom } from './adapters';
import { renderOrderStatusChanged, renderReturnStatusChanged } from './render/orders';
import type { OutgoingMessage } from './types';

/**
 * Status notifications (SPEC §3.A "status notifications", "Returns: status updates"): reads the
 * shop-wide change feeds (`sale.order.changes`, `sale.return.changes`, service key) and tells each
 * linked master about their orders and returns in their chat. The cursor (greatest
 * statusChangedAt told) lives in PostgreSQL; a poll holds a transaction-scoped advisory lock, so
 * several instances never tell the same change twice. A poll that fails leaves the cursor where
 * it was (the next one repeats it: at least once). A fresh installation starts from "now" and
 * does not replay history.
 */
export const FEED_CURSORS_TABLE = 'assistant_feed_cursors';
export const ORDER_FEED = 'shop.orders';
export const RETURN_FEED = 'shop.returns';

/** A new order was just confirmed in the chat; an open return request was just created there. */
const QUIET_ORDER_STATUSES = new Set(['new']);
const QUIET_RETURN_STATUSES = new Set(['requested']);
const MAX_PAGES = 20;

export interface StatusNotifierDeps {
  readonly db: Knex;
  readonly source: Pick<ShopClient, 'orderChanges' | 'returnChanges'>;
  /** The chat of the shop user (the linked Telegram user's private chat), if any. */
  readonly chatFor: (shopUserId: number) => Promise<number | undefined>;
  readonly notify: (messages: OutgoingMessage[]) => void | Promise<void>;
  readonly now?: () => Date;
}

export interface NotifyReport {
  readonly stream: string;
  readonly changes: number;
  readonly notified: number;
  /** Another instance held the feed; nothing done. */
  readonly skipped: boolean;
}

function message(chatId: number, text: string, keyboard?: OutgoingMessage['replyMarkup']): OutgoingMessage {
  return { method: 'sendMessage', chatId, text, parseMode: 'HTML', ...(keyboard ? { replyMarkup: keyboard } : {}) };
}

async function pollFeed<T extends { userId: number; status: string; statusChangedAt: string }>(
  deps: StatusNotifierDeps,
  stream: string,
  fetchPage: (since: string, start: number | undefined) => Promise<{ items: T[]; next?: number }>,
  render: (item: T) => { text: string; keyboard?: OutgoingMessage['replyMarkup'] },
  quiet: ReadonlySet<string>,
): Promise<NotifyReport> {
  const now = deps.now?.() ?? new Date();
  return deps.db.transaction(async (trx) => {
    const lock = await trx.raw<{ rows: { ok: boolean }[] }>('select pg_try_advisory_xact_lock(hashtext(?)) as ok', [`assistant-feed:${stream}`]);
    if (!lock.rows[0]?.ok) return { stream, changes: 0, notified: 0, skipped: true };
    const row = (await trx(FEED_CURSORS_TABLE).where({ stream }).first()) as { cursor: string } | undefined;
    if (!row) {
      await trx(FEED_CURSORS_TABLE).insert({ stream, cursor: now.toISOString(), updated_at: now });
      return { stream, changes: 0, notified: 0, skipped: false };
    }
    let cursor = row.cursor;
    let changes = 0;
    const out: OutgoingMessage[] = [];
    let start: number | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const p = await fetchPage(row.cursor, start);
      for (const item of p.items) {
        changes++;
        if (item.statusChangedAt > cursor) cursor = item.statusChangedAt;
        if (quiet.has(item.status)) continue;
        const chatId = await deps.chatFor(item.userId);
        if (chatId === undefined) continue;
        const r = render(item);
        out.push(message(chatId, r.text, r.keyboard));
      }
      if (p.next === undefined || !p.items.length) break;
      start = p.next;
    }
    if (out.length) await deps.notify(out);
    if (cursor !== row.cursor) await trx(FEED_CURSORS_TABLE).where({ stream }).update({ cursor, updated_at: now });
    return { stream, changes, notified: out.length, skipped: false };
  });
}

/** One poll of both feeds. Throws when the shop is unreachable (the cursor stays). */
export async function pollStatusChanges(deps: StatusNotifierDeps): Promise<NotifyReport[]> {
  const now = (): Date => deps.now?.() ?? new Date();
  const orders = await pollFeed<ShopOrder>(
    deps,
    ORDER_FEED,
    (since, start) => deps.source.orderChanges({ since, ...(start !== undefined ? { start } : {}) }),
    (o) => {
      const r = renderOrderStatusChanged(orderFrom(o), now());
      return { text: r.text.value, keyboard: { inline_keyboard: r.keyboard } };
    },
    QUIET_ORDER_STATUSES,
  );
  const returns = await pollFeed<ShopReturn>(
    deps,
    RETURN_FEED,
    (since, start) => deps.source.returnChanges({ since, ...(start !== undefined ? { start } : {}) }),
    (r) => ({ text: renderReturnStatusChanged({ id: r.id, number: r.number, orderNumber: r.orderNumber, name: r.name, quantity: r.quantity, status: r.status, comment: r.comment }).value }),
    QUIET_RETURN_STATUSES,
  );
  return [orders, returns];
}

/** Polls every `everyMs` until stopped; failures are reported, never thrown. */
export function startStatusNotifier(deps: StatusNotifierDeps & { everyMs: number; onError?: (error: unknown) => void }): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const tick = (): void => {
    running = pollStatusChanges(deps)
      .catch((error: unknown) => deps.onError?.(error))
      .finally(() => {
        running = undefined;
        if (!stopped) {
          timer = setTimeout(tick, deps.everyMs);
          timer.unref();
        }
      });
  };
  timer = setTimeout(tick, Math.min(deps.everyMs, 1000));
  timer.unref();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
