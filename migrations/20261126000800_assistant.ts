import type { Knex } from 'knex';

/**
 * «Ассистент мастера»:
 * - assistant_chats: conversation state per Telegram chat (src/assistant/state-store.ts): the open
 *   dialog (checkout, return, kit model) with its expiry, the last search for «Ещё», rate-limit
 *   notices. One small row per chat, rewritten on each update; idle rows are pruned.
 * - assistant_feed_cursors: how far the status notifier has read the shop's order and return
 *   change feeds (src/assistant/notifications.ts), so each change is told to the master once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('assistant_chats', (t) => {
    // Telegram chat ids exceed 32 bits (and groups are negative).
    t.bigInteger('chat_id').primary();
    t.bigInteger('telegram_user_id');
    t.jsonb('state').notNullable().defaultTo('{}');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // Pruning idle chats walks this index.
  await knex.raw('create index assistant_chats_updated_idx on assistant_chats (updated_at)');

  await knex.schema.createTable('assistant_feed_cursors', (t) => {
    // `shop.orders`, `shop.returns`.
    t.text('stream').primary();
    // The greatest statusChangedAt already told (ISO, as the shop sends it).
    t.text('cursor').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('assistant_feed_cursors');
  await knex.schema.dropTable('assistant_chats');
}
