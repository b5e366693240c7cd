import type { Knex } from 'knex';

/**
 * Token buckets of the per-principal rate limits (src/ratelimit/). One row per principal key
 * (`tg:123`, `token:…`, `device:scanner-001`, `ip:1.2.3.4`): the tokens left at `updated_at`;
 * the refill since then is computed on each check, so nothing has to tick.
 *
 * UNLOGGED: a check is a write on every request, and this state is worth nothing after a crash
 * (PostgreSQL empties unlogged tables on crash recovery, which just gives everyone a full bucket
 * again). It also is not streamed to replicas: after a fail-over the limits start full. Both are
 * the right trade for a limiter; the write cost of WAL here would not be.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create unlogged table rate_limit_buckets (
      key        text             primary key,
      tokens     double precision not null,
      updated_at timestamptz      not null default statement_timestamp(),
      constraint rate_limit_buckets_key_check check (length(key) between 1 and 256)
    )
  `);
  // pruneIdleBuckets() deletes by age.
  await knex.raw('create index rate_limit_buckets_updated_at_idx on rate_limit_buckets (updated_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists rate_limit_buckets');
}
