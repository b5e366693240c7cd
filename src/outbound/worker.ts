import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { outboundBus, type OutboundBus } from './bus';
import { BreakerRegistry, DEFAULT_BREAKER_OPTIONS, type BreakerOptions, type BreakerState } from './circuit-breaker';
import { classifyOutcome } from './classify';
import { systemClock, type Clock, type TimerHandle } from './clock';
import { claimBatch, markDead, markDelivered, markNeedsHuman, markRetry, releaseClaim } from './queue';
import { DEFAULT_RETRY_POLICY, planRetry, type RetryPolicy } from './retry-policy';
import type { DeliverFn, DeliveryItem, DeliveryOutcome } from './types';

export interface DeliveryWorkerOptions {
  readonly db: Knex;
  readonly deliver: DeliverFn;
  /** Unique per worker; it is what locks are taken in the name of. */
  readonly workerId?: string;
  /** Only these destinations (default: all). */
  readonly destinations?: readonly string[];
  readonly clock?: Clock;
  /** [0, 1) like Math.random; drives the ladder's jitter. */
  readonly random?: () => number;
  readonly policy?: RetryPolicy;
  readonly breaker?: BreakerOptions;
  /** Items in flight at once; also the claim size. */
  readonly concurrency?: number;
  /** How long a claim holds; a crashed worker's items become claimable after it. */
  readonly lockMs?: number;
  /** Idle poll interval; an enqueue in this process wakes the worker at once. */
  readonly pollMs?: number;
  /** On stop, in-flight calls get this long to finish before they are aborted. */
  readonly stopGraceMs?: number;
  /** Process bus for wake-ups and metrics; null to stay off it (tests of one worker in isolation). */
  readonly bus?: OutboundBus | null;
}

export interface DeliveryWorkerEvents {
  delivered: [{ item: DeliveryItem; outcome: DeliveryOutcome; durationMs: number }];
  retry: [{ item: DeliveryItem; at: Date; error: string; reason: string }];
  'needs-human': [{ item: DeliveryItem; outcome: DeliveryOutcome; error: string }];
  'dead-letter': [{ item: DeliveryItem; error: string }];
  /** Claimed but not attempted (breaker open): back to pending, not counted as an attempt. */
  released: [{ item: DeliveryItem; at: Date }];
  /** The claim expired and another worker took the item; this attempt's result was dropped. */
  'lock-lost': [{ item: DeliveryItem }];
  breaker: [{ destination: string; state: BreakerState; previous: BreakerState }];
  error: [Error];
}

/**
 * Claims due items and delivers them through the injected `deliver`, walking the retry ladder.
 * At-least-once: an item is delivered again only if its worker died (or lost its lock) after the
 * call and before recording the result, so destinations get a stable idempotency key per item.
 */
export class DeliveryWorker extends EventEmitter<DeliveryWorkerEvents> {
  readonly workerId: string;
  readonly breakers: BreakerRegistry;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly policy: RetryPolicy;
  private readonly concurrency: number;
  private readonly lockMs: number;
  private readonly pollMs: number;
  private readonly stopGraceMs: number;
  private readonly bus: OutboundBus | null;
  private running = false;
  private timer: TimerHandle | undefined;
  private current: Promise<void> | undefined;
  private wakeRequested = false;
  private readonly inFlight = new Set<AbortController>();
  private readonly onEnqueued = (e: { destination: string }): void => {
    if (!this.options.destinations?.length || this.options.destinations.includes(e.destination)) this.wake();
  };

  constructor(private readonly options: DeliveryWorkerOptions) {
    super();
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.policy = options.policy ?? DEFAULT_RETRY_POLICY;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.lockMs = options.lockMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.stopGraceMs = options.stopGraceMs ?? 5000;
    this.bus = options.bus === undefined ? outboundBus() : options.bus;
    this.breakers = new BreakerRegistry(options.breaker ?? DEFAULT_BREAKER_OPTIONS, (destination, state, previous) => {
      const event = { destination, state, previous };
      this.emit('breaker', event);
      this.bus?.emit('breaker', event);
    });
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.bus?.on('enqueued', this.onEnqueued);
    this.schedule(0);
  }

  /** Polls now instead of at the next interval. */
  wake(): void {
    if (!this.running) return;
    if (this.current) this.wakeRequested = true;
    else this.schedule(0);
  }

  /** Stops polling, lets in-flight calls finish (aborting them after the grace period), leaves no timer. */
  async stop(): Promise<void> {
    this.running = false;
    this.bus?.off('enqueued', this.onEnqueued);
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const current = this.current;
    if (!current) return;
    let grace: NodeJS.Timeout | undefined;
    // A real timer, not the injected clock: stopping must finish in real time even under a fake clock.
    await Promise.race([
      current,
      new Promise<void>((resolve) => {
        grace = setTimeout(() => {
          for (const c of this.inFlight) c.abort(new Error('delivery worker stopping'));
          resolve();
        }, this.stopGraceMs);
      }),
    ]);
    clearTimeout(grace);
    await current;
  }

  /** Resolves when the poll in progress (if any) has finished; for tests driving a fake clock. */
  async whenIdle(): Promise<void> {
    while (this.current) await this.current;
  }

  /** One poll: claim what is due and process it. Returns how many items were claimed. */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    const items = await claimBatch(this.options.db, {
      workerId: this.workerId,
      limit: this.concurrency,
      now: new Date(now),
      lockMs: this.lockMs,
      destinations: this.options.destinations,
      skipDestinations: this.breakers.openDestinations(now),
    });
    await Promise.all(
      items.map((item) =>
        // A failed write leaves the item claimed until its lock expires; it is then retried, not lost.
        this.process(item).catch((err: unknown) => this.reportError(err)),
      ),
    );
    return items.length;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.poll();
    }, ms);
  }

  private poll(): void {
    if (!this.running || this.current) return;
    this.wakeRequested = false;
    let next = this.pollMs;
    this.current = this.runOnce()
      .then((claimed) => {
        // A full batch means more may be due: go again at once.
        if (claimed >= this.concurrency) next = 0;
      })
      .catch((err: unknown) => this.reportError(err))
      .finally(() => {
        this.current = undefined;
        this.schedule(this.wakeRequested ? 0 : next);
      });
  }

  private async process(item: DeliveryItem): Promise<void> {
    const { db } = this.options;
    const startedAt = this.clock.now();
    const breaker = this.breakers.get(item.destination);
    if (!breaker.tryAcquire(startedAt)) {
      if (startedAt >= item.deadlineAt.getTime()) {
        const error = `not delivered within the deadline: circuit open for ${item.destination} (${item.lastError ?? 'no answer'})`;
        await this.finishDead(item, startedAt, error, item.lastStatus ?? undefined);
        return;
      }
      const at = new Date(breaker.retryAt(startedAt));
      const released = await releaseClaim(db, item, new Date(startedAt), at);
      if (released) this.emit('released', { item: released, at });
      else this.emit('lock-lost', { item });
      return;
    }

    const outcome = await this.attempt(item, startedAt);
    const now = this.clock.now();
    if (outcome.kind === 'transient') breaker.recordFailure(now);
    else breaker.recordSuccess();

    if (outcome.kind === 'delivered') {
      const updated = await markDelivered(db, item, new Date(now), outcome.status);
      if (!updated) return void this.emit('lock-lost', { item });
      const durationMs = now - startedAt;
      this.emit('delivered', { item: updated, outcome, durationMs });
      this.bus?.emit('delivered', { item: updated, durationMs });
      return;
    }
    if (outcome.kind === 'business') {
      const updated = await markNeedsHuman(db, item, new Date(now), outcome.error, outcome.status);
      if (!updated) return void this.emit('lock-lost', { item });
      this.emit('needs-human', { item: updated, outcome, error: outcome.error });
      this.bus?.emit('needs-human', { item: updated, error: outcome.error });
      return;
    }
    const plan = planRetry(
      { attempt: item.attempt, now, deadlineAt: item.deadlineAt.getTime(), retryAfterMs: outcome.retryAfterMs },
      this.policy,
      this.random,
    );
    if (plan.action === 'dead') {
      await this.finishDead(item, now, `${outcome.error} — ${plan.reason}`, outcome.status);
      return;
    }
    const at = new Date(plan.at);
    const updated = await markRetry(db, item, new Date(now), at, outcome.error, outcome.status);
    if (!updated) return void this.emit('lock-lost', { item });
    this.emit('retry', { item: updated, at, error: outcome.error, reason: plan.reason });
    this.bus?.emit('retry', { item: updated, at, error: outcome.error });
  }

  /** Calls `deliver` with a signal that fires before the claim expires or when the worker stops. */
  private async attempt(item: DeliveryItem, now: number): Promise<DeliveryOutcome> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const lockLeft = (item.lockedUntil?.getTime() ?? now + this.lockMs) - now;
    const margin = Math.min(5000, Math.floor(this.lockMs / 10));
    const timer = this.clock.setTimeout(() => controller.abort(new Error('delivery took too long: its claim is about to expire')), lockLeft - margin);
    // Stop waiting once aborted even if `deliver` ignores the signal, so one hung call cannot stall the worker.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    try {
      return await Promise.race([this.options.deliver(item, { signal: controller.signal }), aborted]);
    } catch (error) {
      return classifyOutcome({ error: controller.signal.aborted ? (controller.signal.reason ?? error) : error }, this.clock.now());
    } finally {
      this.clock.clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /** 'error' without a listener would throw out of the poll loop; the loop must survive a DB outage. */
  private reportError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }

  private async finishDead(item: DeliveryItem, now: number, error: string, status?: number): Promise<void> {
    const updated = await markDead(this.options.db, item, new Date(now), error, status);
    if (!updated) return void this.emit('lock-lost', { item });
    this.emit('dead-letter', { item: updated, error });
    this.bus?.emit('dead-letter', { item: updated, error });
  }
}
