import type { Knex } from 'knex';
import { withAsyncCommit } from '../db/async-commit';
import { DEFAULT_MAX_BODY_BYTES, toJournalRow, type JournalEntry, type JournalRow } from './entry';
import { JOURNAL_TABLE } from './partitions';
import { countJournal } from './stats';

export async function insertJournalRows(db: Knex, rows: readonly JournalRow[]): Promise<void> {
  if (rows.length === 0) return;
  // Journal batches may lose their last moment in a database crash; not worth an fsync each.
  await withAsyncCommit(db, async (trx) => {
    await trx(JOURNAL_TABLE).insert(rows as JournalRow[]);
  });
}

/**
 * Writes entries at once (no buffering): for callers that must know the record is stored, e.g.
 * a retry worker journaling a dead letter. Counts failures like the batching writer does.
 */
export async function writeJournal(db: Knex, entry: JournalEntry | readonly JournalEntry[], maxBodyBytes = DEFAULT_MAX_BODY_BYTES): Promise<void> {
  const entries = Array.isArray(entry) ? (entry as readonly JournalEntry[]) : [entry as JournalEntry];
  const rows = entries.map((e) => toJournalRow(e, maxBodyBytes));
  try {
    await insertJournalRows(db, rows);
    countJournal('written', rows.length);
  } catch (error) {
    countJournal('writeErrors');
    throw error;
  }
}
