import type { Clock, TimerHandle } from '../../src/outbound/clock';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock the test moves by hand. `jumpTo` sets the time first and then fires the timers that
 * are due, so a poll scheduled for "in 1 s" runs at the jumped-to time: one jump = one ladder step.
 */
export class ManualClock implements Clock {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: ++this.seq, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Fires every timer due at the current time (including ones those timers schedule for "now"). */
  fireDue(): number {
    let fired = 0;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.current).sort((a, b) => a.at - b.at || a.id - b.id);
      if (!due.length) return fired;
      for (const t of due) {
        this.timers = this.timers.filter((x) => x !== t);
        t.fn();
        fired++;
      }
    }
  }

  jumpTo(time: number): number {
    this.current = Math.max(this.current, time);
    return this.fireDue();
  }

  advance(ms: number): number {
    return this.jumpTo(this.current + ms);
  }
}
