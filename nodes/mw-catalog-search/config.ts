import type { ConfigMigration } from '../../src/node-config/migrations';

export type CatalogSearchMode = 'search' | 'item' | 'compat';

/** Editor-facing config of the `mw-catalog-search` node, as stored in flows/. */
export interface MwCatalogSearchDef {
  id: string;
  type: 'mw-catalog-search';
  name: string;
  /** The `mw-config` node giving the database with the catalog cache. */
  mwConfig: string;
  /** What to look up; empty: msg.mode (default search). */
  mode: CatalogSearchMode | '';
  /** Message property with the query (text, item id or compat request). */
  queryProperty: string;
  /** Items per answer (1–50). */
  limit: number;
  /** Label of search_queries_total{channel} (telegram, api…). */
  channel: string;
  version: number;
}

export const MW_CATALOG_SEARCH_VERSION = 1;

const MODES = ['search', 'item', 'compat'];

export const mwCatalogSearchMigrations: readonly ConfigMigration<MwCatalogSearchDef>[] = [
  {
    to: 1,
    up: (c) => {
      const limit = Math.floor(Number(c.limit));
      return {
        ...c,
        mode: typeof c.mode === 'string' && MODES.includes(c.mode) ? c.mode : c.mode === '' || c.mode === 'msg' ? '' : 'search',
        queryProperty: typeof c.queryProperty === 'string' && c.queryProperty.trim() !== '' ? c.queryProperty.replace(/^msg\./, '') : 'payload',
        limit: Number.isFinite(limit) && limit >= 1 ? Math.min(limit, 50) : 10,
        channel: typeof c.channel === 'string' && c.channel.trim() !== '' ? c.channel.trim() : 'telegram',
      };
    },
  },
];
