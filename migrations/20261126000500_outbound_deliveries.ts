import type { Knex } from 'knex';

/**
 * Durable outbound delivery queue (retry ladder). Rows are claimed with FOR UPDATE SKIP LOCKED,
 * so any number of workers in any number of processes share it safely.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbound_deliveries', (t) => {
    t.bigIncrements('id').primary();
    t.text('destination').notNullable();
    t.text('operation').notNullable();
    t.text('correlation_id');
    // Dedupe of enqueue: a producer retrying its own step enqueues the same key once.
    t.text('idempotency_key').unique();
    t.jsonb('payload').notNullable();
    t.text('state').notNullable().defaultTo('pending');
    // Attempts started so far (a claim counts: a crashed attempt may have reached the remote).
    t.integer('attempt').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('locked_by');
    t.timestamp('locked_until', { useTz: true });
    t.text('last_error');
    t.integer('last_status');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Stored, not derived from created_at, so a manual replay gets a fresh delivery window.
    t.timestamp('deadline_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('dead_at', { useTz: true });
    t.integer('replays').notNullable().defaultTo(0);
  });
  await knex.raw(`
    alter table outbound_deliveries
      add constraint outbound_deliveries_state_check
      check (state in ('pending', 'in_progress', 'delivered', 'dead', 'needs_human')),
      add constraint outbound_deliveries_attempt_check check (attempt >= 0)`);
  // The claim query walks this index: due pending rows and expired in-progress locks.
  await knex.raw('create index outbound_deliveries_state_next_idx on outbound_deliveries (state, next_attempt_at)');
  // Queue listings per destination (GET /api/v1/queue?destination=…), newest first.
  await knex.raw('create index outbound_deliveries_destination_idx on outbound_deliveries (destination, state, id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('outbound_deliveries');
}
