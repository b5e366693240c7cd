import type { Knex } from 'knex';
import { outboundBus } from '../outbound/bus';
import { enqueue } from '../outbound/queue';
import type { RetryPolicy } from '../outbound/retry-policy';
import type { DeliverFn, DeliveryOutcome } from '../outbound/types';
import { h } from './html';
import { portErrorCode, portErrorKind, type CreateOrderRequest, type QueuedOrder, type ShopPort, type UsersPort } from './ports';
import { renderOrderCreated } from './render/orders';
import type { OutgoingMessage } from './types';

/**
 * Orders placed while the shop is down: kept in the durable outbound queue (PostgreSQL,
 * src/outbound) and sent when the shop answers again, with the same externalId, so the shop
 * creates each at most once however often it is retried. The user's token is NOT stored in the
 * queue: the deliverer reads it from the token vault at delivery time.
 */
export const QUEUED_ORDER_DESTINATION = 'assistant-shop-order';
export const QUEUED_ORDER_OPERATION = 'sale.order.create';

export interface QueuedOrderPayload {
  readonly telegramUserId: number;
  readonly chatId: number;
  readonly request: CreateOrderRequest;
}

/**
 * The shop comes back within minutes usually; the SPEC ladder (1 m → … → 12 h) would leave a
 * master waiting, so queued orders retry sooner first, then join the ladder. Still 24 h at most.
 */
export const QUEUED_ORDER_RETRY_POLICY: RetryPolicy = Object.freeze({
  ladderMs: Object.freeze([15_000, 30_000, 60_000, 120_000, 300_000, 900_000, 3_600_000, 10_800_000, 43_200_000]),
  jitter: 0.1,
  deadlineMs: 24 * 3_600_000,
});

/** The queueOrder port: one queue item per externalId. */
export function queueOrderPortFrom(db: Knex): (order: QueuedOrder) => Promise<{ id: number }> {
  return async (order) => {
    const payload: QueuedOrderPayload = { telegramUserId: order.telegramUserId, chatId: order.chatId, request: order.request };
    const { item, created } = await enqueue(db, {
      destination: QUEUED_ORDER_DESTINATION,
      operation: QUEUED_ORDER_OPERATION,
      payload,
      correlationId: order.correlationId ?? null,
      idempotencyKey: `${QUEUED_ORDER_DESTINATION}:${order.request.externalId}`,
      deadlineMs: QUEUED_ORDER_RETRY_POLICY.deadlineMs,
    });
    if (created) outboundBus().emit('enqueued', { destination: QUEUED_ORDER_DESTINATION, id: item.id });
    return { id: item.id };
  };
}

export interface QueuedOrderDeliveryDeps {
  readonly shop: ShopPort;
  readonly users: UsersPort;
  /** Where the messages to the master go (the outbox, or the node's output). */
  readonly notify: (messages: OutgoingMessage[]) => void;
}

function message(chatId: number, text: string, replyMarkup?: OutgoingMessage['replyMarkup'], disableLinkPreview?: boolean): OutgoingMessage {
  return { method: 'sendMessage', chatId, text, parseMode: 'HTML', ...(replyMarkup ? { replyMarkup } : {}), ...(disableLinkPreview ? { disableLinkPreview } : {}) };
}

/** The DeliveryWorker's deliver function for QUEUED_ORDER_DESTINATION. */
export function deliverQueuedOrder(deps: QueuedOrderDeliveryDeps): DeliverFn {
  return async (item): Promise<DeliveryOutcome> => {
    const p = item.payload as QueuedOrderPayload;
    if (!p || typeof p.chatId !== 'number' || typeof p.telegramUserId !== 'number' || !p.request?.externalId) {
      return { kind: 'business', error: 'malformed queued order payload' };
    }
    const user = await deps.users.lookup(p.telegramUserId);
    if (!user.linked || !user.shopToken) {
      deps.notify([message(p.chatId, h`😔 Не смог оформить принятый заказ: привязка к аккаунту магазина устарела. Привяжите аккаунт и оформите заказ снова — /cart.`.value)]);
      return { kind: 'business', error: 'the user is not linked any more', code: 'NOT_LINKED' };
    }
    try {
      const order = await deps.shop.createOrder(user.shopToken, p.request);
      const view = renderOrderCreated(order);
      deps.notify([message(p.chatId, h`Магазин снова на связи 🙌\n\n${view.text}`.value, { inline_keyboard: view.keyboard }, view.disableLinkPreview)]);
      return { kind: 'delivered', status: 200, response: { number: order.number } };
    } catch (error) {
      const kind = portErrorKind(error);
      if (kind === 'unavailable') return { kind: 'transient', error: (error as Error).message };
      const code = portErrorCode(error);
      const why =
        code === 'EMPTY_BASKET'
          ? 'корзина оказалась пуста'
          : code === 'OUT_OF_STOCK' || code === 'PRODUCT_NOT_AVAILABLE'
            ? 'часть запчастей закончилась'
            : kind === 'unauthorized'
              ? 'привязка к аккаунту магазина устарела'
              : 'магазин его не принял';
      deps.notify([message(p.chatId, h`😔 Не смог оформить принятый заказ: ${why}. Проверьте корзину — /cart — и оформите снова.`.value)]);
      return { kind: 'business', error: (error as Error).message, ...(code ? { code } : {}) };
    }
  };
}
