import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-validate` node, as stored in flows/. */
export interface MwValidateDef {
  id: string;
  type: 'mw-validate';
  name: string;
  /** Contract under contracts/schemas: short name ("queue-replay") or full $id. */
  schema: string;
  /** The msg property validated, e.g. payload (the body from an http in node). */
  property: string;
  version: number;
}

export const MW_VALIDATE_CONFIG_VERSION = 1;

export const mwValidateMigrations: readonly ConfigMigration<MwValidateDef>[] = [
  { to: 1, up: (c) => ({ ...c, schema: typeof c.schema === 'string' ? c.schema.trim() : '', property: c.property || 'payload' }) },
];
