import type { QueueStat } from './admin';
import type { BreakerState } from './circuit-breaker';

export interface NodeStatusShape {
  readonly fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  readonly shape: 'ring' | 'dot';
  readonly text: string;
}

/**
 * What the `mw-delivery` node shows under itself: queue depth of its destination and the breaker.
 * Red while the breaker is open (the destination is down), yellow when something waits for a human.
 */
export function deliveryStatus(stats: readonly QueueStat[], breaker: BreakerState): NodeStatusShape {
  const count = (state: QueueStat['state']): number => stats.filter((s) => s.state === state).reduce((n, s) => n + s.count, 0);
  const queued = count('pending') + count('in_progress');
  const dead = count('dead');
  const human = count('needs_human');
  const parts = [`${queued} queued`];
  if (human) parts.push(`${human} need a human`);
  if (dead) parts.push(`${dead} dead`);
  if (breaker !== 'closed') parts.unshift(breaker === 'open' ? 'breaker open' : 'breaker half-open');
  const fill = breaker === 'open' ? 'red' : breaker === 'half_open' || dead || human ? 'yellow' : 'green';
  return { fill, shape: queued ? 'dot' : 'ring', text: parts.join(', ') };
}
