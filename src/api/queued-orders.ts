import type { Knex } from 'knex';
import type { JournalEntry } from '../journal/entry';
import type { Logger } from '../log';
import { OUTBOUND_TABLE, type DeliverFn, type DeliveryItem, type DeliveryOutcome } from '../outbound/types';
import type { RetryPolicy } from '../outbound/retry-policy';
import type { ShopClient } from '../shop/client';
import { isShopBusinessError, isShopUnavailable } from '../shop/errors';
import type { CreateOrderInput, ShopOrder } from '../shop/types';

/**
 * Orders of API v1 (POST /api/v1/orders) accepted while the web shop was unavailable.
 *
 * The flow «API v1: заказы» puts them into the durable outbound queue (mw-outbound, destination
 * `shop-orders`, keyed by msg.idempotencyKey = `tg:<id>:<Idempotency-Key>`) and answers 202
 * `queued`. The worker of this module places them when the shop answers again, with the same
 * `externalId`, which the shop deduplicates: a retried request, a crash between the call and
 * recording its result, or an order the shop did create before timing out never becomes a second
 * order. The queue payload never holds the user's shop token: it is read from the token vault
 * (by Telegram user id) at delivery time.
 */
export const API_ORDER_DESTINATION = 'shop-orders';
export const API_ORDER_OPERATION = 'sale.order.create';

/** What the flow queues (msg.payload of the mw-outbound node). */
export interface QueuedApiOrder {
  readonly telegramUserId: number;
  /** The arguments of sale.order.create, externalId included. */
  readonly order: CreateOrderInput;
}

/**
 * The shop is usually back within minutes: retry soon first, then join the SPEC ladder; 24 h
 * at most. Besides the ladder, the runtime pulls due times forward as soon as the catalog sync
 * or the shop client's breaker sees the shop answer again (see pullForward).
 */
export const API_ORDER_RETRY_POLICY: RetryPolicy = Object.freeze({
  ladderMs: Object.freeze([15_000, 30_000, 60_000, 120_000, 300_000, 900_000, 3_600_000, 10_800_000, 43_200_000]),
  jitter: 0.1,
  deadlineMs: 24 * 3_600_000,
});

export interface QueuedOrderDeps {
  /** The shop client (undefined while SHOP_API_URL is not configured: a transient failure). */
  readonly shop: () => ShopClient | undefined;
  /** The user's shop token from the token vault, or undefined when the user is not linked any more. */
  readonly shopToken: (telegramUserId: number) => Promise<string | undefined>;
  readonly journal?: { write(entry: JournalEntry): void } | null;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
}

export function parseQueuedOrder(payload: unknown): QueuedApiOrder | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const p = payload as { telegramUserId?: unknown; order?: unknown };
  const order = p.order as Partial<CreateOrderInput> | undefined;
  if (typeof p.telegramUserId !== 'number' || !Number.isSafeInteger(p.telegramUserId) || p.telegramUserId <= 0) return undefined;
  if (!order || typeof order !== 'object' || typeof order.externalId !== 'string' || order.externalId === '') return undefined;
  if (order.paymentType !== 'prepaid' && order.paymentType !== 'cod') return undefined;
  if (order.delivery !== 'courier' && order.delivery !== 'pickup') return undefined;
  return { telegramUserId: p.telegramUserId, order: order as CreateOrderInput };
}

/** The DeliveryWorker's deliver function for API_ORDER_DESTINATION. */
export function deliverQueuedApiOrder(deps: QueuedOrderDeps): DeliverFn {
  return async (item, { signal }): Promise<DeliveryOutcome> => {
    const started = Date.now();
    const record = (status: string, body: Record<string, unknown>, error?: string): void => {
      try {
        deps.journal?.write({
          correlationId: item.correlationId,
          system: 'api-v1',
          operation: 'order.queued',
          direction: 'out',
          status,
          attempt: item.attempt,
          durationMs: Date.now() - started,
          body: { queue_id: item.id, ...body },
          error,
        });
      } catch {
        // journaling never fails a delivery
      }
    };
    const queued = parseQueuedOrder(item.payload);
    if (!queued) {
      record('rejected', {}, 'malformed queued order');
      return { kind: 'business', error: 'malformed queued order payload', code: 'MALFORMED' };
    }
    const client = deps.shop();
    if (!client) return { kind: 'transient', error: 'the web shop is not configured (SHOP_API_URL)' };
    const token = await deps.shopToken(queued.telegramUserId);
    if (!token) {
      const error = 'the user is not linked to the shop any more (or the shop token expired)';
      record('rejected', { external_id: queued.order.externalId }, error);
      deps.log?.warn({ queueId: item.id, telegramUserId: queued.telegramUserId }, `queued API order not placed: ${error}`);
      return { kind: 'business', error, code: 'NOT_LINKED' };
    }
    try {
      const order: ShopOrder = await client.createOrder(queued.order, {
        userToken: token,
        correlationId: item.correlationId ?? undefined,
        attempt: item.attempt,
        signal,
      });
      record('ok', { external_id: queued.order.externalId, order_id: order.id, order_number: order.number });
      deps.log?.info({ queueId: item.id, order: order.number }, 'queued API order placed');
      return { kind: 'delivered', status: 201, response: { orderId: order.id, number: order.number } };
    } catch (error) {
      if (isShopUnavailable(error)) return { kind: 'transient', error: error.message, status: error.httpStatus, retryAfterMs: error.retryAfterMs };
      if (isShopBusinessError(error)) {
        // EMPTY_BASKET, OUT_OF_STOCK, INVALID_TOKEN…: retrying will not help; a human follows up.
        record('rejected', { external_id: queued.order.externalId, shop_error: error.shopCode }, error.message);
        deps.log?.warn({ queueId: item.id, shopError: error.shopCode }, 'queued API order refused by the shop');
        return { kind: 'business', error: error.message, status: error.httpStatus, code: error.shopCode };
      }
      throw error; // unexpected: the worker counts it as transient
    }
  };
}

/**
 * "The shop is back": make every waiting queued order due now, so it does not sit out the rest
 * of its ladder step. Returns how many were pulled forward.
 */
export async function pullForward(db: Knex, destination = API_ORDER_DESTINATION, now = new Date()): Promise<number> {
  return db(OUTBOUND_TABLE).where({ destination, state: 'pending' }).andWhere('next_attempt_at', '>', now).update({ next_attempt_at: now, updated_at: now });
}

/** A journal line for items that give up (the deliver function journals the other outcomes). */
export function deadLetterEntry(item: DeliveryItem, error: string): JournalEntry {
  return {
    correlationId: item.correlationId,
    system: 'api-v1',
    operation: 'order.queued',
    direction: 'out',
    status: 'dead_letter',
    attempt: item.attempt,
    body: { queue_id: item.id },
    error,
  };
}
