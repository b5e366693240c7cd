/**
 * Per-destination circuit breaker: closed → open after `failureThreshold` consecutive transient
 * failures → half-open after `cooldownMs`, letting exactly one trial through → closed on its
 * success, open again (with a longer cool-down, up to `maxCooldownMs`) on its failure.
 *
 * State lives in memory, per process and destination. That is enough because the breaker only
 * decides *when* to knock again; the durable queue in PostgreSQL stays the source of truth, so a
 * restart loses at most a few probing calls, never an item. Several instances each open their own
 * breaker after their own N failures, which bounds the extra load on a sick destination to
 * N × instances calls per cool-down; sharing the state through the database would add a write
 * per attempt for little gain.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  /** Repeated failed trials double the cool-down up to this. */
  readonly maxCooldownMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = Object.freeze({ failureThreshold: 5, cooldownMs: 30_000, maxCooldownMs: 10 * 60_000 });

export type BreakerListener = (state: BreakerState, previous: BreakerState) => void;

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private cooldown: number;
  private trialInFlight = false;

  constructor(
    readonly name: string,
    private readonly options: BreakerOptions = DEFAULT_BREAKER_OPTIONS,
    private readonly onChange?: BreakerListener,
  ) {
    this.cooldown = options.cooldownMs;
  }

  /** The state at `now` (open turns half-open once the cool-down has passed). */
  stateAt(now: number): BreakerState {
    if (this.state === 'open' && now >= this.openedAt + this.cooldown) this.transition('half_open');
    return this.state;
  }

  /** Asks to make one call now. False: do not call, reschedule the item to `retryAt(now)`. */
  tryAcquire(now: number): boolean {
    const state = this.stateAt(now);
    if (state === 'closed') return true;
    if (state === 'half_open' && !this.trialInFlight) {
      this.trialInFlight = true;
      return true;
    }
    return false;
  }

  /** When a refused call should be tried again. */
  retryAt(now: number): number {
    if (this.stateAt(now) === 'open') return this.openedAt + this.cooldown;
    // Half-open with a trial in flight: look again shortly, the trial decides.
    return now + Math.min(1000, this.options.cooldownMs);
  }

  /** A call that reached the destination and got an answer that is not a transient failure. */
  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.trialInFlight = false;
    this.cooldown = this.options.cooldownMs;
    if (this.state !== 'closed') this.transition('closed');
  }

  recordFailure(now: number): void {
    this.consecutiveFailures += 1;
    if (this.state === 'half_open') {
      this.trialInFlight = false;
      this.cooldown = Math.min(this.cooldown * 2, this.options.maxCooldownMs);
      this.open(now);
    } else if (this.state === 'closed' && this.consecutiveFailures >= this.options.failureThreshold) {
      this.open(now);
    }
  }

  /** A call that was acquired but never made (e.g. the worker stopped): frees the half-open trial. */
  release(): void {
    this.trialInFlight = false;
  }

  snapshot(now: number): { name: string; state: BreakerState; consecutiveFailures: number; retryAt?: number } {
    const state = this.stateAt(now);
    return { name: this.name, state, consecutiveFailures: this.consecutiveFailures, ...(state === 'open' ? { retryAt: this.openedAt + this.cooldown } : {}) };
  }

  private open(now: number): void {
    this.openedAt = now;
    this.transition('open');
  }

  private transition(next: BreakerState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.onChange?.(next, previous);
  }
}

/** One breaker per destination, created on first use. */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly options: BreakerOptions = DEFAULT_BREAKER_OPTIONS,
    private readonly onChange?: (destination: string, state: BreakerState, previous: BreakerState) => void,
  ) {}

  get(destination: string): CircuitBreaker {
    let breaker = this.breakers.get(destination);
    if (!breaker) {
      breaker = new CircuitBreaker(destination, this.options, (s, p) => this.onChange?.(destination, s, p));
      this.breakers.set(destination, breaker);
    }
    return breaker;
  }

  /** Destinations whose breaker is open right now: the worker does not claim their items. */
  openDestinations(now: number): string[] {
    return [...this.breakers.values()].filter((b) => b.stateAt(now) === 'open').map((b) => b.name);
  }

  all(): CircuitBreaker[] {
    return [...this.breakers.values()];
  }
}
