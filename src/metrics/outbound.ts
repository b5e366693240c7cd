import { outboundBus, type OutboundBus } from '../outbound/bus';
import type { MwMetrics } from './registry';

/**
 * Feeds the outbound counters from the process event bus, where every delivery worker of the
 * process (including those inside Node-RED nodes) reports. Returns the unsubscribe function.
 */
export function bindOutboundMetrics(metrics: MwMetrics, bus: OutboundBus = outboundBus()): () => void {
  const delivered = ({ item }: { item: { destination: string } }): void => metrics.recordOutboundOutcome(item.destination, 'delivered');
  const retry = ({ item }: { item: { destination: string } }): void => metrics.recordOutboundOutcome(item.destination, 'retry');
  const human = ({ item }: { item: { destination: string } }): void => metrics.recordOutboundOutcome(item.destination, 'needs_human');
  const dead = ({ item }: { item: { destination: string } }): void => metrics.recordOutboundOutcome(item.destination, 'dead');
  const breaker = ({ destination, state }: { destination: string; state: 'closed' | 'half_open' | 'open' }): void => metrics.setBreakerState(destination, state);
  bus.on('delivered', delivered);
  bus.on('retry', retry);
  bus.on('needs-human', human);
  bus.on('dead-letter', dead);
  bus.on('breaker', breaker);
  return () => {
    bus.off('delivered', delivered);
    bus.off('retry', retry);
    bus.off('needs-human', human);
    bus.off('dead-letter', dead);
    bus.off('breaker', breaker);
  };
}
