import type { DeliveryItem, DeliveryOutcome } from './types';

/**
 * The messages the `mw-delivery` node sends to its three outputs. Every one carries
 * msg.delivery, so a flow can answer, journal or notify without looking anything up.
 */
export interface DeliveryInfo {
  readonly id: number;
  readonly attempt: number;
  readonly destination: string;
  readonly operation: string;
  readonly state: DeliveryItem['state'];
  readonly correlationId: string | null;
  readonly idempotencyKey: string | null;
  readonly createdAt: string;
}

export function deliveryInfo(item: DeliveryItem): DeliveryInfo {
  return {
    id: item.id,
    attempt: item.attempt,
    destination: item.destination,
    operation: item.operation,
    state: item.state,
    correlationId: item.correlationId,
    idempotencyKey: item.idempotencyKey,
    createdAt: item.createdAt.toISOString(),
  };
}

/** Output 1: msg.payload is the destination's answer, msg.request what was sent. */
export function deliveredMessage(item: DeliveryItem, outcome: DeliveryOutcome, durationMs: number): Record<string, unknown> {
  return {
    topic: item.operation,
    payload: outcome.response,
    statusCode: outcome.status,
    request: item.payload,
    delivery: { ...deliveryInfo(item), durationMs },
    correlationId: item.correlationId ?? undefined,
  };
}

/** Output 2: the destination refused it; msg.payload is what was sent, so a human can fix and replay. */
export function needsHumanMessage(item: DeliveryItem, outcome: DeliveryOutcome, error: string): Record<string, unknown> {
  return {
    topic: item.operation,
    payload: item.payload,
    statusCode: outcome.status,
    response: outcome.response,
    error: { message: error, status: outcome.status, code: outcome.kind === 'business' ? outcome.code : undefined },
    delivery: deliveryInfo(item),
    correlationId: item.correlationId ?? undefined,
  };
}

/** Output 3: not delivered within the window or the ladder; replay through the queue API. */
export function deadLetterMessage(item: DeliveryItem, error: string): Record<string, unknown> {
  return {
    topic: item.operation,
    payload: item.payload,
    statusCode: item.lastStatus ?? undefined,
    error: { message: error, status: item.lastStatus ?? undefined },
    delivery: deliveryInfo(item),
    correlationId: item.correlationId ?? undefined,
  };
}
