import type { Knex } from 'knex';
import { acquireJournalWriter } from '../journal/writer';
import type { JournalSink } from './http';

export interface JournalSinkLease {
  readonly sink: JournalSink;
  /** Flushes what is buffered; call on node close. */
  release(): Promise<void>;
}

/**
 * A journal sink on the process-wide batching writer of the database (shared with mw-journal
 * nodes). Writing never blocks or throws into the caller; `onError` hears about failures.
 */
export function journalSinkFor(db: Knex, onError?: (error: unknown) => void): JournalSinkLease {
  const lease = acquireJournalWriter(db, { onError });
  return { sink: (entry) => lease.writer.write(entry), release: () => lease.release() };
}
