import assert from 'node:assert/strict';
import { CircuitBreaker, type BreakerState } from '../../src/outbound/circuit-breaker';

describe('outbound: circuit breaker', () => {
  const options = { failureThreshold: 3, cooldownMs: 10_000, maxCooldownMs: 40_000 };

  it('opens after N consecutive failures, half-opens after the cool-down with one trial, closes on success', () => {
    const changes: BreakerState[] = [];
    const b = new CircuitBreaker('b24', options, (s) => changes.push(s));
    b.recordFailure(0);
    b.recordFailure(1);
    b.recordSuccess(); // a success resets the count
    b.recordFailure(2);
    b.recordFailure(3);
    assert.equal(b.stateAt(3), 'closed');
    b.recordFailure(4);
    assert.equal(b.stateAt(4), 'open');
    assert.equal(b.tryAcquire(5), false);
    assert.equal(b.retryAt(5), 10_004);
    assert.equal(b.stateAt(10_004), 'half_open');
    assert.equal(b.tryAcquire(10_004), true, 'one trial');
    assert.equal(b.tryAcquire(10_005), false, 'only one');
    b.recordSuccess();
    assert.equal(b.stateAt(10_006), 'closed');
    assert.equal(b.tryAcquire(10_006), true);
    assert.deepEqual(changes, ['open', 'half_open', 'closed']);
  });

  it('re-opens on a failed trial with a doubled cool-down, capped', () => {
    const b = new CircuitBreaker('1c', options);
    for (let i = 0; i < 3; i++) b.recordFailure(0);
    let t = 0;
    for (const cooldown of [20_000, 40_000, 40_000]) {
      t += b.retryAt(t) - t;
      assert.equal(b.tryAcquire(t), true);
      b.recordFailure(t);
      assert.equal(b.stateAt(t), 'open');
      assert.equal(b.retryAt(t) - t, cooldown);
    }
  });
});
