import type { Knex } from 'knex';
import type { Logger } from '../log';
import { pruneIdleBuckets } from './token-bucket';

/**
 * Deletes idle buckets periodically (one small row per principal ever seen would otherwise stay,
 * e.g. for every client IP). Every instance may run it: the DELETE is idempotent and cheap with
 * the updated_at index. The timer does not keep the process alive.
 */
export function startBucketPruner(db: Knex, log: Pick<Logger, 'warn' | 'debug'>, options: { intervalMs?: number; idleSeconds?: number } = {}): () => void {
  const timer = setInterval(() => {
    pruneIdleBuckets(db, options.idleSeconds).then(
      (removed) => log.debug({ removed }, 'rate limit buckets pruned'),
      (err: unknown) => log.warn({ err }, 'rate limit bucket pruning failed'),
    );
  }, options.intervalMs ?? 3600_000);
  timer.unref();
  return () => clearInterval(timer);
}
