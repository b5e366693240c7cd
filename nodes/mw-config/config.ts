import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-config` node, as stored in flows/. */
export interface MwConfigDef {
  id: string;
  type: 'mw-config';
  name: string;
  /** Connection checks the readiness probe runs through this node. */
  checkDatabase: boolean;
  version: number;
}

export const MW_CONFIG_VERSION = 1;

/** v0 (unversioned) had no `checkDatabase`; it defaults to on. */
export const mwConfigMigrations: readonly ConfigMigration<MwConfigDef>[] = [
  { to: 1, up: (c) => ({ ...c, checkDatabase: c.checkDatabase ?? true }) },
];
