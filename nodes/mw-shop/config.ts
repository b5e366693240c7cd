import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-shop` node, as stored in flows/. */
export interface MwShopDef {
  id: string;
  type: 'mw-shop';
  name: string;
  /** The `mw-config` node giving the database (journal) and the shop client. */
  mwConfig: string;
  /** A shop operation (`sale.order.create`…); empty: msg.operation. */
  operation: string;
  /** Message property with the user's shop JWT (X-User-Token). */
  tokenProperty: string;
  /** Seconds per call; 0: the process default (SHOP_API_TIMEOUT_MS). */
  timeout: number;
  version: number;
}

export const MW_SHOP_VERSION = 1;

export const mwShopMigrations: readonly ConfigMigration<MwShopDef>[] = [
  {
    to: 1,
    up: (c) => ({
      ...c,
      operation: typeof c.operation === 'string' && c.operation !== 'msg' ? c.operation : '',
      tokenProperty: typeof c.tokenProperty === 'string' && c.tokenProperty.trim() !== '' ? c.tokenProperty.replace(/^msg\./, '') : 'user.shopToken',
      timeout: Number.isFinite(Number(c.timeout)) && Number(c.timeout) > 0 ? Number(c.timeout) : 0,
    }),
  },
];
