import type { JournalBodyMode, JournalDirection } from '../../src/journal/entry';
import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-journal` node, as stored in flows/. */
export interface MwJournalDef {
  id: string;
  type: 'mw-journal';
  name: string;
  mwConfig: string;
  /** The external system: shop, b24, ut10, ut11, telegram, stt, llm… */
  system: string;
  /** What was done; empty: msg.topic. */
  operation: string;
  direction: JournalDirection;
  bodyMode: JournalBodyMode;
  /** msg property journaled as the body. */
  bodyProperty: string;
  version: number;
}

export const MW_JOURNAL_VERSION = 1;

export const mwJournalMigrations: readonly ConfigMigration<MwJournalDef>[] = [
  {
    to: 1,
    up: (c) => ({
      ...c,
      system: c.system ?? '',
      operation: c.operation ?? '',
      direction: c.direction === 'in' ? 'in' : 'out',
      bodyMode: c.bodyMode === 'hash' || c.bodyMode === 'none' ? c.bodyMode : 'masked',
      bodyProperty: c.bodyProperty || 'payload',
    }),
  },
];
