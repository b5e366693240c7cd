import type { EnqueueInput } from './queue';

/**
 * How the mw-outbound node turns a message into a queue item. Node config wins over the message,
 * so an analyst can pin a node to one destination and still route others dynamically.
 */
export interface OutboundNodeSettings {
  readonly destination: string;
  readonly operation: string;
  /** Message property holding the idempotency key (e.g. "idempotencyKey", "payload.orderId"); empty: none. */
  readonly keyProperty: string;
}

export class OutboundMessageError extends Error {
  override readonly name = 'OutboundMessageError';
}

type Msg = Record<string, unknown>;

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim()) return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The correlation id the HTTP layer gave the request, else the one the flow set, else the msg id. */
function correlationOf(msg: Msg): string | undefined {
  const req = msg.req as { correlationId?: unknown; headers?: Record<string, unknown> } | undefined;
  return text(msg.correlationId) ?? text(msg.correlation_id) ?? text(req?.correlationId) ?? text(req?.headers?.['x-correlation-id']) ?? text(msg._msgid);
}

export function enqueueInputFromMessage(msg: Msg, settings: OutboundNodeSettings, getProperty: (msg: Msg, path: string) => unknown): EnqueueInput {
  const destination = text(settings.destination) ?? text(msg.destination);
  if (!destination) throw new OutboundMessageError('no destination: set it in the node or as msg.destination');
  const operation = text(settings.operation) ?? text(msg.operation) ?? text(msg.topic);
  if (!operation) throw new OutboundMessageError('no operation: set it in the node, as msg.operation or as msg.topic');
  if (msg.payload === undefined) throw new OutboundMessageError('msg.payload is empty: nothing to deliver');
  if (Buffer.isBuffer(msg.payload)) throw new OutboundMessageError('msg.payload is a Buffer: the queue stores JSON, convert it first');
  let idempotencyKey: string | undefined;
  if (settings.keyProperty) {
    let raw: unknown;
    try {
      raw = getProperty(msg, settings.keyProperty);
    } catch {
      raw = undefined;
    }
    const key = text(raw);
    // Keys are unique across the whole queue; scoping them keeps "order 17" for B24 and for 1C apart.
    if (key) idempotencyKey = `${destination}/${operation}/${key}`;
  }
  return { destination, operation, payload: msg.payload, correlationId: correlationOf(msg), idempotencyKey };
}
