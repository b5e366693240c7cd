import type { Knex } from 'knex';

/**
 * Idempotency-Key records (IETF draft semantics). One row per (principal, key): the request's
 * fingerprint, whether it is still executing (under a lease) or completed, and the exact
 * response that was acknowledged, so a retry gets the same bytes back.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table idempotency_keys (
      principal        text        not null,
      key              text        not null,
      fingerprint      text        not null,
      state            text        not null,
      -- Who currently owns the in-flight execution; release() only frees its own lease.
      lease_token      uuid,
      -- A crashed executor stops renewing nothing: once this passes, the next retry takes over.
      lease_until      timestamptz,
      takeovers        integer     not null default 0,
      response_status  integer,
      response_headers jsonb,
      -- The exact bytes that were sent, so a replay is byte-identical (JSON or not).
      response_body    bytea,
      created_at       timestamptz not null default now(),
      completed_at     timestamptz,
      expires_at       timestamptz not null,
      primary key (principal, key),
      constraint idempotency_keys_state_check check (state in ('in_flight', 'completed')),
      constraint idempotency_keys_key_check check (length(key) between 1 and 255),
      constraint idempotency_keys_completed_check
        check (state <> 'completed' or (response_status is not null and completed_at is not null))
    )`);
  // purgeExpired() walks this.
  await knex.raw('create index idempotency_keys_expires_idx on idempotency_keys (expires_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists idempotency_keys');
}
