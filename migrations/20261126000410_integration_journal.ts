import type { Knex } from 'knex';

/**
 * Integration journal: one row per exchange with an external system. Range-partitioned by
 * month on `ts`, so retention drops whole partitions instead of deleting rows. Monthly
 * partitions are created ahead by ensurePartitions() (src/journal/partitions.ts); the default
 * partition only catches rows written before that ran, and ensurePartitions() moves them out.
 */
export async function up(knex: Knex): Promise<void> {
  // A plain sequence, not an identity column: identity on partitioned tables needs PG 17.
  await knex.raw('create sequence integration_journal_id_seq as bigint');
  await knex.raw(`
    create table integration_journal (
      id             bigint      not null default nextval('integration_journal_id_seq'),
      ts             timestamptz not null default now(),
      correlation_id text,
      system         text        not null,
      operation      text        not null,
      direction      text        not null,
      status         text        not null,
      http_status    integer,
      attempt        integer     not null default 1,
      duration_ms    integer,
      -- Masked copy of the body; nulled by retention after bodyDays, the hash stays.
      body           jsonb,
      -- SHA-256 of the original (unmasked) body, so a partner's copy can be matched later.
      body_sha256    text,
      body_bytes     integer,
      error          text,
      -- The partition key must be part of every unique constraint of a partitioned table.
      primary key (ts, id),
      constraint integration_journal_direction_check check (direction in ('in', 'out')),
      constraint integration_journal_status_check check (length(status) between 1 and 32)
    ) partition by range (ts)`);
  await knex.raw('alter sequence integration_journal_id_seq owned by integration_journal.id');
  await knex.raw('create table integration_journal_default partition of integration_journal default');
  // GET /api/v1/journal: by correlation id (one exchange chain) or by system, newest first.
  await knex.raw('create index integration_journal_correlation_idx on integration_journal (correlation_id, ts, id)');
  await knex.raw('create index integration_journal_system_idx on integration_journal (system, ts, id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists integration_journal cascade');
  await knex.raw('drop sequence if exists integration_journal_id_seq');
}
