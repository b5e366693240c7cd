import { EventEmitter } from 'node:events';
import type { BreakerState } from './circuit-breaker';
import type { DeliveryItem } from './types';

/**
 * One event bus per process for queue events. Each node's bundle (scripts/build-nodes.mjs)
 * carries its own copy of src/, so a module-level emitter would not be shared between the
 * `mw-outbound` node, the `mw-delivery` worker and the metrics of the server; a Symbol.for key
 * on globalThis is. Used for: waking workers right after an enqueue, and metrics.
 */
export interface OutboundBusEvents {
  enqueued: [{ destination: string; id: number }];
  delivered: [{ item: DeliveryItem; durationMs: number }];
  retry: [{ item: DeliveryItem; at: Date; error: string }];
  'needs-human': [{ item: DeliveryItem; error: string }];
  'dead-letter': [{ item: DeliveryItem; error: string }];
  breaker: [{ destination: string; state: BreakerState; previous: BreakerState }];
}

export type OutboundBus = EventEmitter<OutboundBusEvents>;

const KEY = Symbol.for('spareparts-mw.outbound-bus');

export function outboundBus(): OutboundBus {
  const holder = globalThis as unknown as Record<symbol, OutboundBus | undefined>;
  let bus = holder[KEY];
  if (!bus) {
    bus = new EventEmitter<OutboundBusEvents>();
    // Every worker and the metrics binding listen; more than 10 is normal, not a leak.
    bus.setMaxListeners(0);
    holder[KEY] = bus;
  }
  return bus;
}
