import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-outbound` node, as stored in flows/. */
export interface MwOutboundDef {
  id: string;
  type: 'mw-outbound';
  name: string;
  /** The `mw-config` node giving the database. */
  mwConfig: string;
  /** Empty: taken from msg.destination. */
  destination: string;
  /** Empty: taken from msg.operation, then msg.topic. */
  operation: string;
  /** Message property with the idempotency key; empty: every message is a new item. */
  keyProperty: string;
  version: number;
}

export const MW_OUTBOUND_VERSION = 1;

export const mwOutboundMigrations: readonly ConfigMigration<MwOutboundDef>[] = [
  { to: 1, up: (c) => ({ ...c, keyProperty: c.keyProperty ?? 'idempotencyKey' }) },
];
