import type { Knex } from 'knex';
import { DEFAULT_MAX_BODY_BYTES, toJournalRow, type JournalEntry, type JournalRow } from './entry';
import { ensurePartitions } from './partitions';
import { countJournal } from './stats';
import { insertJournalRows } from './write';

export interface JournalWriterOptions {
  /** A partial batch waits at most this long. */
  readonly flushIntervalMs?: number;
  /** A batch this big is written at once. */
  readonly maxBatch?: number;
  /** Rows held while the database is unreachable; beyond it the oldest are dropped (counted). */
  readonly maxBuffer?: number;
  readonly maxBodyBytes?: number;
  readonly onError?: (error: unknown, context: { rows: number; transient: boolean }) => void;
}

/** Errors after which the same rows can succeed later: connection loss, overload, shutdown. */
export function isTransientDbError(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (e?.name === 'KnexTimeoutError') return true;
  if (/^(08|53|57P|40001|40P01)/.test(code)) return true;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code);
}

/**
 * Buffers journal rows and writes them in multi-row INSERTs: every `flushIntervalMs`, or at
 * once when `maxBatch` rows wait. write() never blocks or throws into the business flow.
 *
 * - A batch refused by the database is retried row by row, so one bad row (the database says
 *   why) is dropped alone instead of taking its batch with it.
 * - When the database is unreachable the rows stay buffered and are retried with backoff.
 * - flush() resolves once everything written before the call is stored (or given up on);
 *   close() flushes and stops the timer: call it on shutdown so nothing buffered is lost.
 */
export class JournalWriter {
  private readonly buffer: JournalRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private backoffMs = 0;
  private closed = false;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffer: number;
  private readonly maxBodyBytes: number;

  constructor(
    private readonly db: Knex,
    private readonly options: JournalWriterOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxBuffer = options.maxBuffer ?? 50_000;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** Rows waiting for the database. */
  get pending(): number {
    return this.buffer.length;
  }

  write(entry: JournalEntry): void {
    let row: JournalRow;
    try {
      row = toJournalRow(entry, this.maxBodyBytes);
    } catch (error) {
      countJournal('dropped');
      this.options.onError?.(error, { rows: 1, transient: false });
      return;
    }
    this.buffer.push(row);
    if (this.buffer.length > this.maxBuffer) {
      const over = this.buffer.length - this.maxBuffer;
      this.buffer.splice(0, over);
      countJournal('dropped', over);
    }
    if (this.closed) {
      // A late write after close (a message still travelling during shutdown) is still stored.
      void this.flush();
    } else if (this.buffer.length >= this.maxBatch && this.backoffMs === 0) {
      void this.flush();
    } else {
      this.schedule(this.flushIntervalMs);
    }
  }

  /** Writes everything buffered so far; never rejects. */
  flush(): Promise<void> {
    this.clearTimer();
    this.chain = this.chain.then(() => this.drain());
    return this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.backoffMs = 0;
    await this.flush();
    this.clearTimer();
  }

  private schedule(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    // The timer must not keep a stopping process alive; close() does the final flush.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.maxBatch);
      const leftover = await this.insert(batch);
      if (leftover.length > 0) {
        // Unreachable database: keep the rows, in order, and try again later.
        this.buffer.unshift(...leftover);
        this.backoffMs = Math.min(30_000, Math.max(500, this.backoffMs * 2));
        if (!this.closed) this.schedule(this.backoffMs);
        return;
      }
      this.backoffMs = 0;
    }
  }

  /** Returns the rows to retry later (empty when all were stored or given up on). */
  private async insert(batch: JournalRow[]): Promise<JournalRow[]> {
    try {
      await insertJournalRows(this.db, batch);
      countJournal('written', batch.length);
      return [];
    } catch (error) {
      countJournal('writeErrors');
      const transient = isTransientDbError(error);
      this.options.onError?.(error, { rows: batch.length, transient });
      if (transient) return batch;
    }
    if (batch.length === 1) {
      countJournal('dropped');
      return [];
    }
    const retry: JournalRow[] = [];
    for (const row of batch) {
      // Once the database is gone again, the rest waits with the row that found out.
      if (retry.length > 0) retry.push(row);
      else retry.push(...(await this.insert([row])));
    }
    return retry;
  }
}

interface SharedEntry {
  writer: JournalWriter;
  users: number;
}

const REGISTRY = Symbol.for('spareparts-mw.journal.writers');

function registry(): WeakMap<Knex, SharedEntry> {
  const g = globalThis as unknown as Record<symbol, WeakMap<Knex, SharedEntry> | undefined>;
  return (g[REGISTRY] ??= new WeakMap());
}

export interface JournalWriterLease {
  readonly writer: JournalWriter;
  /** Flushes; the last user closes the shared writer. */
  release(): Promise<void>;
}

/**
 * One batching writer per database for the whole process (all mw-journal nodes share it, so
 * batches fill up). The first user also makes sure this month's partitions exist.
 */
export function acquireJournalWriter(db: Knex, options: JournalWriterOptions = {}): JournalWriterLease {
  const map = registry();
  let entry = map.get(db);
  if (!entry) {
    entry = { writer: new JournalWriter(db, options), users: 0 };
    map.set(db, entry);
    ensurePartitions(db).catch((error: unknown) => options.onError?.(error, { rows: 0, transient: true }));
  }
  entry.users++;
  const shared = entry;
  let released = false;
  return {
    writer: shared.writer,
    release: async () => {
      if (released) return;
      released = true;
      shared.users--;
      if (shared.users > 0) return shared.writer.flush();
      if (map.get(db) === shared) map.delete(db);
      await shared.writer.close();
    },
  };
}
