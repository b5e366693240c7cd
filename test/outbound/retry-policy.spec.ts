import assert from 'node:assert/strict';
import { DEFAULT_RETRY_POLICY, jittered, planRetry } from '../../src/outbound/retry-policy';

describe('outbound: retry policy', () => {
  const now = 1_000_000;
  const deadlineAt = now + 24 * 3600_000;
  const noJitter = (): number => 0.5;

  it('follows the ladder 1 m → 5 m → 15 m → 1 h → 3 h → 12 h, then gives up', () => {
    const waits = [1, 2, 3, 4, 5, 6].map((attempt) => {
      const plan = planRetry({ attempt, now, deadlineAt }, DEFAULT_RETRY_POLICY, noJitter);
      assert.equal(plan.action, 'retry');
      return (plan as { at: number }).at - now;
    });
    assert.deepEqual(waits, [60_000, 300_000, 900_000, 3_600_000, 10_800_000, 43_200_000]);
    assert.equal(planRetry({ attempt: 7, now, deadlineAt }, DEFAULT_RETRY_POLICY, noJitter).action, 'dead');
  });

  it('jitters each step within ±10 %', () => {
    assert.equal(jittered(60_000, 0.1, () => 0), 54_000);
    assert.equal(jittered(60_000, 0.1, () => 0.999999), 66_000);
    for (let i = 0; i < 1000; i++) {
      const v = jittered(3_600_000, 0.1, Math.random);
      assert.ok(v >= 3_240_000 && v <= 3_960_000, String(v));
    }
  });

  it('uses the later of Retry-After and the ladder step', () => {
    const later = planRetry({ attempt: 1, now, deadlineAt, retryAfterMs: 600_000 }, DEFAULT_RETRY_POLICY, noJitter);
    assert.deepEqual(later, { action: 'retry', at: now + 600_000, reason: 'Retry-After 10 min' });
    const sooner = planRetry({ attempt: 1, now, deadlineAt, retryAfterMs: 5_000 }, DEFAULT_RETRY_POLICY, noJitter);
    assert.equal((sooner as { at: number }).at, now + 60_000);
  });

  it('is dead past the deadline, or when Retry-After points beyond it', () => {
    assert.equal(planRetry({ attempt: 2, now: deadlineAt, deadlineAt }).action, 'dead');
    const beyond = planRetry({ attempt: 1, now, deadlineAt, retryAfterMs: 25 * 3600_000 });
    assert.equal(beyond.action, 'dead');
    assert.match((beyond as { reason: string }).reason, /past the delivery deadline/);
  });

  it('gives one last try at the deadline when the step lands after it', () => {
    const late = deadlineAt - 3600_000;
    const plan = planRetry({ attempt: 6, now: late, deadlineAt }, DEFAULT_RETRY_POLICY, noJitter);
    assert.deepEqual(plan, { action: 'retry', at: deadlineAt, reason: 'last try at the deadline' });
  });
});
