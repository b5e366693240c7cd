import type { Knex } from 'knex';

/** Scanner devices and their MQTT credentials (scrypt hashes; plaintext is never stored). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mqtt_devices', (t) => {
    t.text('device_id').primary();
    t.text('username').notNullable().unique();
    t.text('password_hash').notNullable();
    t.text('kind').notNullable().defaultTo('scanner');
    t.text('description');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mqtt_devices');
}
