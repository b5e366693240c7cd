import type { Knex } from 'knex';

/**
 * Local cache of the web shop catalog (src/catalog/): what search answers from, also while the
 * shop is down ("цены и наличие на HH:MM"). Rows are the shop's products as of `updated_at_source`;
 * `catalog_sync_state` keeps the keyset cursors of the sync so an interrupted import resumes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table catalog_items (
      id                bigint        primary key,
      xml_id            text,
      code              text,
      article           text,
      name              text          not null,
      section           text,
      part_type         text,
      brand             text,
      models            text[]        not null default '{}',
      quality           text,
      color             text,
      price             numeric(14,2),
      price_master      numeric(14,2),
      currency          text          not null default 'RUB',
      -- Units that can be ordered, per store ({"central": 12, "north": 1}) and in total.
      stock             jsonb         not null default '{}'::jsonb,
      quantity          integer       not null default 0,
      barcode           text,
      active            boolean       not null default true,
      -- The shop's updatedAt of this version: the keyset cursor of the sync, and the guard that
      -- an older version never overwrites a newer one.
      updated_at_source timestamptz   not null,
      synced_at         timestamptz   not null default now()
    )`);
  await knex.raw('create index catalog_items_updated_idx on catalog_items (updated_at_source)');
  // Full re-walks prune what they did not see (synced_at older than the walk's start).
  await knex.raw('create index catalog_items_synced_idx on catalog_items (synced_at)');
  // "Which parts fit this model": models @> array['Xiaomi Redmi 9A'].
  await knex.raw('create index catalog_items_models_idx on catalog_items using gin (models)');
  await knex.raw('create index catalog_items_barcode_idx on catalog_items (barcode) where barcode is not null');

  await knex.raw(`
    create table catalog_sync_state (
      stream               text        primary key,
      -- Incremental keyset position: updatedAt of the newest product applied (null: never imported).
      cursor               text,
      -- A full walk in progress: its start (rows not seen since then are gone from the shop) and position.
      full_started_at      timestamptz,
      full_cursor          text,
      last_full_sync_at    timestamptz,
      last_success_at      timestamptz,
      last_attempt_at      timestamptz,
      last_error           text,
      last_error_at        timestamptz,
      consecutive_failures integer     not null default 0,
      lag_seconds          double precision,
      items_count          integer,
      -- Bumped by every committed change of catalog_items, so readers can tell the cache moved.
      revision             bigint      not null default 0,
      updated_at           timestamptz not null default now()
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists catalog_sync_state');
  await knex.raw('drop table if exists catalog_items');
}
