import type { Knex } from 'knex';

/**
 * Auth: the link Telegram user → web-shop account with the shop's token encrypted at rest
 * (src/auth/token-vault.ts), and the middleware's own API sessions (src/auth/session.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_links', (t) => {
    // Telegram ids exceed 32 bits.
    t.bigInteger('telegram_user_id').primary();
    t.text('shop_user_id').notNullable();
    // `v1:<key id>:<iv>:<ciphertext+tag>`, AES-256-GCM; never the plaintext token.
    t.text('token_ciphertext').notNullable();
    t.timestamp('token_expires_at', { useTz: true });
    // Personal data, kept to the minimum: a name to greet with and a handle for managers.
    t.text('first_name');
    t.text('username');
    t.timestamp('linked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // A plaintext JWT ("eyJ…") or any other unencrypted value cannot be stored by mistake.
  await knex.raw(`
    alter table user_links
      add constraint user_links_token_encrypted_check check (token_ciphertext ~ '^v[0-9]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$'),
      add constraint user_links_telegram_user_id_check check (telegram_user_id > 0),
      add constraint user_links_first_name_check check (char_length(first_name) <= 64),
      add constraint user_links_username_check check (char_length(username) <= 32)`);
  // Shop change feeds name the shop user; notifications need the Telegram user.
  await knex.raw('create index user_links_shop_user_idx on user_links (shop_user_id)');

  await knex.schema.createTable('api_sessions', (t) => {
    // SHA-256 (base64url) of the opaque access token; the token itself is never stored.
    t.text('token_hash').primary();
    // Unlinking a user ends their sessions.
    t.bigInteger('telegram_user_id').notNullable().references('telegram_user_id').inTable('user_links').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
  await knex.raw('create index api_sessions_user_idx on api_sessions (telegram_user_id)');
  // Housekeeping deletes expired sessions by this index.
  await knex.raw('create index api_sessions_expires_idx on api_sessions (expires_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_sessions');
  await knex.schema.dropTable('user_links');
}
