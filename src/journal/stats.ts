/**
 * Process-wide journal counters for /metrics. Node bundles (nodes/*.js) carry their own copy of
 * this module, so the counters live on a global symbol that every copy shares.
 */
export interface JournalStats {
  /** Rows stored. */
  written: number;
  /** Failed insert attempts (a batch that failed and was retried counts once per attempt). */
  writeErrors: number;
  /** Rows given up on: refused by the database, invalid, or pushed out of a full buffer. */
  dropped: number;
}

const KEY = Symbol.for('spareparts-mw.journal.stats');

function counters(): JournalStats {
  const g = globalThis as unknown as Record<symbol, JournalStats | undefined>;
  return (g[KEY] ??= { written: 0, writeErrors: 0, dropped: 0 });
}

export function journalStats(): Readonly<JournalStats> {
  return { ...counters() };
}

/** The counter metrics read: journal write errors since the process started. */
export function journalWriteErrorCount(): number {
  return counters().writeErrors;
}

export function countJournal(field: keyof JournalStats, by = 1): void {
  counters()[field] += by;
}
