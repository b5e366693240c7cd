import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueStat } from '../outbound/admin';
import { BoundedLabel } from './bounded-label';
import { cachedAsync } from './cached';

/**
 * The middleware's Prometheus metrics (SPEC §3.E). One registry per process, made by this
 * factory rather than prom-client's global default, so tests (and a second app in one process)
 * get their own and never see each other's series.
 */
export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC); default on. */
  readonly defaultMetrics?: boolean;
  /** Labels on every series, e.g. { instance: 'mw-1' }. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Read on scrape for the outbound queue gauges. */
  readonly queueStats?: () => Promise<readonly QueueStat[]>;
  /** Scrapes within this window reuse one queueStats result; at least 1 s. */
  readonly queueStatsCacheMs?: number;
  /** Total journal write errors so far, read on scrape. */
  readonly journalWriteErrors?: () => number;
  /** How many distinct values a data-driven label may take (streams, components, destinations). */
  readonly maxLabelValues?: number;
  readonly now?: () => number;
}

/** Buckets for a p95 ≤ 50 ms target: fine steps below 100 ms, a few above to see the tail. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5];

export type BreakerStateName = 'closed' | 'half_open' | 'open';
const BREAKER_VALUE: Record<BreakerStateName, number> = { closed: 0, half_open: 1, open: 2 };

export interface MwMetrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status_class'>;
  /** Idempotency-Key: a stored response was replayed. */
  recordIdempotentReplay(): void;
  /** Idempotency-Key: same key, different payload (422) or still in flight (409). */
  recordIdempotencyConflict(status: 409 | 422): void;
  /** A duplicate that would have been created and was not (scope: 'api', 'b24-task', 'ut11-document', …). */
  recordDuplicatePrevented(scope: string): void;
  recordOutboundOutcome(destination: string, outcome: 'delivered' | 'retry' | 'needs_human' | 'dead'): void;
  setBreakerState(destination: string, state: BreakerStateName): void;
  setDegraded(component: string, degraded: boolean): void;
  /** Seconds between a change in the source and its arrival in the target, per stream. */
  setDeltaLag(stream: string, seconds: number): void;
  /** One search answered; `noResult` when it found nothing. */
  recordSearch(noResult: boolean, channel?: string): void;
  /** Share of cash-on-delivery orders, 0…1. */
  setCodShare(ratio: number): void;
  /** An order the shop accepted; keeps `orders_created_total` and the `cod_share` gauge. */
  recordOrderCreated(paymentType: string): void;
  setJournalWriteErrorsSource(getter: () => number): void;
  setQueueStatsSource(source: () => Promise<readonly QueueStat[]>): void;
  /** Prometheus text exposition. */
  scrape(): Promise<string>;
}

export function createMetrics(options: MetricsOptions = {}): MwMetrics {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const maxValues = options.maxLabelValues ?? 50;
  const now = options.now ?? Date.now;
  const bounded = (): BoundedLabel => new BoundedLabel(maxValues);

  const collectErrors = new Counter({
    name: 'metrics_collect_errors_total',
    help: 'Scrape-time collections that failed (the last good values were served)',
    labelNames: ['source'],
    // Registered last (below), and waits for the scrape's queue pass: prom-client collects all
    // metrics of a scrape concurrently, and this one must see the failures of that same scrape.
    registers: [],
    collect: () => queuePass(),
  });

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers,
  });
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status class (2xx, 4xx, 5xx)',
    labelNames: ['method', 'route', 'status_class'] as const,
    registers,
  });

  const idempotentReplays = new Counter({ name: 'idempotency_replays_total', help: 'Stored responses replayed for a repeated Idempotency-Key', registers });
  const idempotencyConflicts = new Counter({
    name: 'idempotency_conflicts_total',
    help: 'Idempotency-Key conflicts: 422 different payload, 409 still in flight',
    labelNames: ['status'] as const,
    registers,
  });
  const duplicatesPrevented = new Counter({
    name: 'duplicates_prevented_total',
    help: 'Duplicates detected and not created, by scope',
    labelNames: ['scope'] as const,
    registers,
  });
  const scopes = bounded();

  // Outbound queue, read from PostgreSQL on scrape (cached) so every instance reports the shared queue.
  const queueCacheMs = Math.max(1000, options.queueStatsCacheMs ?? 5000);
  let loadQueue = options.queueStats ? cachedAsync(options.queueStats, queueCacheMs, now) : undefined;
  const queueSeen = new Set<string>();
  // Read on every scrape; the cache turns that into one query per window.
  const queueCollect = async (): Promise<void> => {
    if (!loadQueue) return;
    const { value, error } = await loadQueue();
    if (error) collectErrors.inc({ source: 'outbound_queue' });
    if (!value) return;
    const current = new Set<string>();
    for (const s of value) {
      const labels = { destination: s.destination, state: s.state };
      queueItems.set(labels, s.count);
      queueAge.set(labels, Math.round(s.oldestAgeSeconds));
      current.add(`${s.destination}\u0000${s.state}`);
      queueSeen.add(`${s.destination}\u0000${s.state}`);
    }
    // A group that emptied reads 0 instead of keeping its last count.
    for (const key of queueSeen) {
      if (current.has(key)) continue;
      const [destination, state] = key.split('\u0000');
      queueItems.set({ destination, state }, 0);
      queueAge.set({ destination, state }, 0);
    }
  };
  // One pass per scrape, shared by every metric that needs it (they are collected concurrently).
  let pass: Promise<void> | undefined;
  const queuePass = (): Promise<void> =>
    (pass ??= queueCollect().finally(() => {
      pass = undefined;
    }));
  const queueItems = new Gauge({
    name: 'outbound_queue_items',
    help: 'Outbound deliveries by destination and state (delivered ones are not counted)',
    labelNames: ['destination', 'state'] as const,
    registers,
    collect: queuePass,
  });
  const queueAge = new Gauge({
    name: 'outbound_queue_oldest_age_seconds',
    help: 'Age of the oldest outbound delivery by destination and state',
    labelNames: ['destination', 'state'] as const,
    registers,
    collect: queuePass,
  });

  const deadLetters = new Counter({
    name: 'outbound_dead_letters_total',
    help: 'Outbound deliveries that were not delivered within their window (critical)',
    labelNames: ['destination'] as const,
    registers,
  });
  const outboundOutcomes = new Counter({
    name: 'outbound_deliveries_total',
    help: 'Outbound delivery attempts by destination and outcome',
    labelNames: ['destination', 'outcome'] as const,
    registers,
  });
  const breakerState = new Gauge({
    name: 'outbound_circuit_state',
    help: 'Circuit breaker per destination in this process: 0 closed, 1 half-open, 2 open',
    labelNames: ['destination'] as const,
    registers,
  });
  const destinations = bounded();

  let journalSource = options.journalWriteErrors;
  let journalLast = 0;
  new Counter({
    name: 'journal_write_errors_total',
    help: 'Integration journal records that could not be written',
    registers,
    collect() {
      if (!journalSource) return;
      let total: number;
      try {
        total = journalSource();
      } catch {
        collectErrors.inc({ source: 'journal' });
        return;
      }
      if (!Number.isFinite(total)) return;
      if (total < journalLast) journalLast = 0; // the source restarted its count
      if (total > journalLast) this.inc(total - journalLast);
      journalLast = total;
    },
  });

  const degraded = new Gauge({ name: 'degraded_mode', help: '1 while a component runs in degraded mode', labelNames: ['component'] as const, registers });
  const components = bounded();
  const deltaLag = new Gauge({ name: 'delta_lag_seconds', help: 'Delta lag per sync stream, source change to target', labelNames: ['stream'] as const, registers });
  const streams = bounded();
  const searches = new Counter({ name: 'search_queries_total', help: 'Catalog searches answered', labelNames: ['channel'] as const, registers });
  const searchNoResult = new Counter({ name: 'search_no_result_total', help: 'Catalog searches that found nothing', labelNames: ['channel'] as const, registers });
  const channels = bounded();
  const codShare = new Gauge({ name: 'cod_share', help: 'Share of cash-on-delivery orders (0…1)', registers });
  const ordersCreated = new Counter({ name: 'orders_created_total', help: 'Orders the web shop accepted, by payment type', labelNames: ['payment_type'], registers });
  const orderCounts = { cod: 0, all: 0 };
  registry.registerMetric(collectErrors);

  return {
    registry,
    httpDuration,
    httpRequests,
    recordIdempotentReplay: () => idempotentReplays.inc(),
    recordIdempotencyConflict: (status) => idempotencyConflicts.inc({ status: String(status) }),
    recordDuplicatePrevented: (scope) => duplicatesPrevented.inc({ scope: scopes.value(scope) }),
    recordOutboundOutcome: (destination, outcome) => {
      const d = destinations.value(destination);
      outboundOutcomes.inc({ destination: d, outcome });
      if (outcome === 'dead') deadLetters.inc({ destination: d });
    },
    setBreakerState: (destination, state) => breakerState.set({ destination: destinations.value(destination) }, BREAKER_VALUE[state]),
    setDegraded: (component, on) => degraded.set({ component: components.value(component) }, on ? 1 : 0),
    setDeltaLag: (stream, seconds) => deltaLag.set({ stream: streams.value(stream) }, Math.max(0, seconds)),
    recordSearch: (noResult, channel = 'all') => {
      const c = channels.value(channel);
      searches.inc({ channel: c });
      if (noResult) searchNoResult.inc({ channel: c });
      else searchNoResult.inc({ channel: c }, 0); // the series exists from the first search, so rates start at 0
    },
    setCodShare: (ratio) => codShare.set(Math.min(1, Math.max(0, ratio))),
    recordOrderCreated: (paymentType) => {
      const type = paymentType === 'cod' ? 'cod' : paymentType === 'prepaid' ? 'prepaid' : 'other';
      ordersCreated.inc({ payment_type: type });
      orderCounts.all += 1;
      if (type === 'cod') orderCounts.cod += 1;
      codShare.set(orderCounts.cod / orderCounts.all);
    },
    setJournalWriteErrorsSource: (getter) => {
      journalSource = getter;
      journalLast = 0;
    },
    setQueueStatsSource: (source) => {
      loadQueue = cachedAsync(source, queueCacheMs, now);
    },
    scrape: () => registry.metrics(),
  };
}
