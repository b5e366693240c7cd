export {
  DEFAULT_MAX_BODY_BYTES,
  JournalEntryError,
  toJournalRow,
  type JournalBodyMode,
  type JournalDirection,
  type JournalEntry,
  type JournalRow,
  type JournalStatus,
} from './entry';
export { maskJournalText, maskJournalValue } from './redact';
export {
  applyRetention,
  DEFAULT_RETENTION,
  ensurePartitions,
  JOURNAL_TABLE,
  journalMaintenance,
  listPartitions,
  partitionFor,
  type JournalPartition,
  type RetentionPolicy,
  type RetentionResult,
} from './partitions';
export { writeJournal } from './write';
export { acquireJournalWriter, isTransientDbError, JournalWriter, type JournalWriterLease, type JournalWriterOptions } from './writer';
export { DEFAULT_PAGE_SIZE, JournalCursorError, MAX_PAGE_SIZE, queryJournal, type JournalPage, type JournalQuery, type JournalRecord } from './query';
export { journalStats, journalWriteErrorCount, type JournalStats } from './stats';
