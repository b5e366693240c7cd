import type { Knex } from 'knex';
import { authRuntimeFor } from '../auth/runtime';
import { acquireCatalogRuntime, type CatalogRuntimeLease } from '../catalog/runtime';
import { acquireJournalWriter, type JournalWriterLease } from '../journal/writer';
import { DeliveryWorker } from '../outbound/worker';
import type { RetryPolicy } from '../outbound/retry-policy';
import type { MiddlewareServices } from '../runtime/services';
import { API_ORDER_DESTINATION, API_ORDER_RETRY_POLICY, deadLetterEntry, deliverQueuedApiOrder, pullForward } from './queued-orders';

/**
 * The background part of API v1: the worker that places orders queued while the shop was down
 * (flow «API v1: заказы»). One per process and database; several processes share the queue
 * safely (rows are claimed with SKIP LOCKED). Started by the server after the catalog runtime:
 *
 *   const apiV1 = startApiV1Runtime(services);   …   await apiV1.stop();
 */
export interface ApiV1Runtime {
  readonly worker: DeliveryWorker;
  /** Makes waiting queued orders due now and wakes the worker (also done on "shop is back"). */
  deliverNow(): Promise<number>;
  stop(): Promise<void>;
}

export interface ApiV1RuntimeOptions {
  readonly policy?: RetryPolicy;
  /** Idle poll of the queue; an enqueue in this process wakes the worker at once. */
  readonly pollMs?: number;
  readonly concurrency?: number;
}

const REGISTRY = Symbol.for('spareparts-mw.api-v1.runtimes');

function registry(): WeakMap<Knex, ApiV1Runtime> {
  const g = globalThis as unknown as Record<symbol, WeakMap<Knex, ApiV1Runtime> | undefined>;
  return (g[REGISTRY] ??= new WeakMap());
}

/** The running API v1 runtime of this database in this process, if any. */
export function apiV1RuntimeFor(db: Knex): ApiV1Runtime | undefined {
  return registry().get(db);
}

/** Starts the queued-order worker, or returns the one already running for this database. */
export function startApiV1Runtime(services: MiddlewareServices, options: ApiV1RuntimeOptions = {}): ApiV1Runtime {
  const existing = registry().get(services.db);
  if (existing) return existing;
  const { db, log } = services;
  // The application's catalog runtime when it registered one (its shop client and syncer), else a shared one.
  const catalog: CatalogRuntimeLease = acquireCatalogRuntime({ db, log, metrics: services.metrics });
  const journal: JournalWriterLease = acquireJournalWriter(db, { onError: (error) => log.warn({ err: (error as Error).message }, 'journal write failed (queued API orders)') });
  const worker = new DeliveryWorker({
    db,
    deliver: deliverQueuedApiOrder({
      shop: () => catalog.runtime.client,
      shopToken: async (telegramUserId) => (await (await authRuntimeFor(services)).vault.getShopCredentials(telegramUserId))?.shopToken,
      journal: journal.writer,
      log: log.child({ component: 'api-v1-orders' }),
    }),
    destinations: [API_ORDER_DESTINATION],
    policy: options.policy ?? API_ORDER_RETRY_POLICY,
    concurrency: options.concurrency ?? 4,
    pollMs: options.pollMs ?? 2000,
    // The shop client has its own breaker (it fails fast without calling a failing shop); this
    // one only spaces out attempts a little, so a returning shop is used within seconds.
    breaker: { failureThreshold: 20, cooldownMs: 5000, maxCooldownMs: 30_000 },
  });
  worker.on('error', (error) => log.warn({ err: error.message }, 'api v1: queued order worker error'));
  worker.on('dead-letter', ({ item, error }) => {
    journal.writer.write(deadLetterEntry(item, error));
    log.error({ queueId: item.id, err: error }, 'api v1: a queued order was not placed within its delivery window');
  });

  let pulling: Promise<number> | undefined;
  const deliverNow = (): Promise<number> => {
    pulling ??= pullForward(db)
      .then((n) => {
        worker.wake();
        return n;
      })
      .finally(() => {
        pulling = undefined;
      });
    return pulling;
  };
  const shopBack = (): void => {
    void deliverNow().catch((error: unknown) => log.warn({ err: (error as Error).message }, 'api v1: could not make queued orders due'));
  };
  const syncer = catalog.runtime.syncer;
  const onDegraded = (degraded: boolean): void => {
    if (!degraded) shopBack();
  };
  syncer?.on('degraded', onDegraded);
  const offBreaker = catalog.runtime.client?.onBreakerChange((state) => {
    if (state === 'closed') shopBack();
  });
  worker.start();

  let stopping: Promise<void> | undefined;
  const runtime: ApiV1Runtime = {
    worker,
    deliverNow,
    stop: () =>
      (stopping ??= (async () => {
        if (registry().get(db) === runtime) registry().delete(db);
        syncer?.off('degraded', onDegraded);
        offBreaker?.();
        await worker.stop();
        await pulling?.catch(() => undefined);
        await journal.release();
        await catalog.release();
      })()),
  };
  registry().set(db, runtime);
  return runtime;
}
