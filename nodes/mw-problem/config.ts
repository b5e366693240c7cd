import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-problem` node, as stored in flows/. */
export interface MwProblemDef {
  id: string;
  type: 'mw-problem';
  name: string;
  /** Catalogue code when neither msg.problem nor msg.error says better (usually INTERNAL). */
  defaultCode: string;
  /** Put the message of unexpected errors into `detail`; off: it can leak SQL, paths, hosts. */
  exposeMessages: boolean;
  version: number;
}

export const MW_PROBLEM_CONFIG_VERSION = 1;

export const mwProblemMigrations: readonly ConfigMigration<MwProblemDef>[] = [
  { to: 1, up: (c) => ({ ...c, defaultCode: c.defaultCode || 'INTERNAL', exposeMessages: c.exposeMessages === true }) },
];
