import type { Knex } from 'knex';
import type { Logger } from '../log';

/** A housekeeping task run on an interval (retention, purges, partitions). */
export interface Job {
  readonly name: string;
  readonly everyMs: number;
  run(db: Knex, now: Date): Promise<unknown>;
}

export interface JobScheduler {
  /** Runs every job once now (used at start and by tests). */
  runAll(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs jobs on timers. Several instances may run the same job: each run takes a PostgreSQL
 * advisory lock keyed by the job name, so only one instance works at a time and the others skip.
 */
export function scheduleJobs(db: Knex, jobs: readonly Job[], log: Logger, now: () => Date = () => new Date()): JobScheduler {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();

  const runOne = (job: Job): Promise<void> => {
    const p = (async () => {
      await db.transaction(async (trx) => {
        const got = await trx.raw<{ rows: { ok: boolean }[] }>('select pg_try_advisory_xact_lock(hashtext(?)) as ok', [`job:${job.name}`]);
        if (!got.rows[0]?.ok) return;
        const started = performance.now();
        const result = await job.run(db, now());
        log.info({ job: job.name, ms: Math.round(performance.now() - started), result }, 'job done');
      });
    })().catch((err: unknown) => log.error({ err, job: job.name }, 'job failed'));
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  };

  for (const job of jobs) {
    const timer = setInterval(() => void runOne(job), job.everyMs);
    timer.unref();
    timers.push(timer);
  }
  return {
    runAll: async () => {
      await Promise.all(jobs.map(runOne));
    },
    stop: async () => {
      for (const t of timers) clearInterval(t);
      await Promise.all([...running]);
    },
  };
}
