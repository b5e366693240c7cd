import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-respond` node, as stored in flows/. */
export interface MwRespondDef {
  id: string;
  type: 'mw-respond';
  name: string;
  mwConfig: string;
  /**
   * Comma-separated statuses that free the idempotency key instead of being stored, because
   * they promise that nothing was done (default 429, 503).
   */
  releaseStatuses: string;
  version: number;
}

export const MW_RESPOND_VERSION = 1;

export const mwRespondMigrations: readonly ConfigMigration<MwRespondDef>[] = [
  { to: 1, up: (c) => ({ ...c, releaseStatuses: c.releaseStatuses ?? '429, 503' }) },
];

export function parseStatusList(list: string): number[] {
  return String(list ?? '')
    .split(/[\s,;]+/)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 100 && n <= 599);
}
