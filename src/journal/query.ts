import type { Knex } from 'knex';
import { JOURNAL_TABLE } from './partitions';

/** Reading the journal for GET /api/v1/journal: newest first, keyset pagination. */

export interface JournalQuery {
  readonly correlationId?: string;
  readonly system?: string;
  readonly operation?: string;
  readonly direction?: 'in' | 'out';
  readonly status?: string;
  /** Inclusive. */
  readonly since?: Date;
  /** Exclusive. */
  readonly until?: Date;
  readonly limit?: number;
  /** nextCursor of the previous page. */
  readonly cursor?: string;
}

export interface JournalRecord {
  readonly id: string;
  readonly ts: Date;
  readonly correlationId: string | null;
  readonly system: string;
  readonly operation: string;
  readonly direction: 'in' | 'out';
  readonly status: string;
  readonly httpStatus: number | null;
  readonly attempt: number;
  readonly durationMs: number | null;
  readonly body: unknown;
  readonly bodySha256: string | null;
  readonly bodyBytes: number | null;
  readonly error: string | null;
}

export interface JournalPage {
  readonly items: JournalRecord[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** A cursor that was not made by queryJournal (tampered, truncated): the API answers 400. */
export class JournalCursorError extends Error {
  override readonly name = 'JournalCursorError';
  readonly code = 'JOURNAL_CURSOR_INVALID';
}

// The cursor keeps ts as text with microseconds: a JS Date (milliseconds) would skip or repeat
// rows that share a millisecond.
interface CursorKey {
  readonly ts: string;
  readonly id: string;
}

function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.ts, key.id])).toString('base64url');
}

function decodeCursor(cursor: string): CursorKey {
  try {
    const [ts, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof ts === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(ts) && typeof id === 'string' && /^\d{1,19}$/.test(id)) {
      return { ts, id };
    }
  } catch {
    // reported below
  }
  throw new JournalCursorError('invalid journal cursor');
}

interface Row {
  id: string;
  ts: Date;
  ts_key: string;
  correlation_id: string | null;
  system: string;
  operation: string;
  direction: 'in' | 'out';
  status: string;
  http_status: number | null;
  attempt: number;
  duration_ms: number | null;
  body: unknown;
  body_sha256: string | null;
  body_bytes: number | null;
  error: string | null;
}

export async function queryJournal(db: Knex, q: JournalQuery = {}): Promise<JournalPage> {
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(Number(q.limit ?? DEFAULT_PAGE_SIZE)) || DEFAULT_PAGE_SIZE));
  const query = db(JOURNAL_TABLE)
    .select(
      'id', 'ts', 'correlation_id', 'system', 'operation', 'direction', 'status', 'http_status',
      'attempt', 'duration_ms', 'body', 'body_sha256', 'body_bytes', 'error',
      db.raw(`to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ts_key`),
    )
    .orderBy([{ column: 'ts', order: 'desc' }, { column: 'id', order: 'desc' }])
    .limit(limit + 1);
  if (q.correlationId) query.where('correlation_id', q.correlationId);
  if (q.system) query.where('system', q.system);
  if (q.operation) query.where('operation', q.operation);
  if (q.direction) query.where('direction', q.direction);
  if (q.status) query.where('status', q.status);
  if (q.since) query.where('ts', '>=', q.since);
  if (q.until) query.where('ts', '<', q.until);
  if (q.cursor) {
    const key = decodeCursor(q.cursor);
    query.whereRaw('(ts, id) < (?::timestamptz, ?::bigint)', [key.ts, key.id]);
  }
  const rows = (await query) as Row[];
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: String(r.id),
      ts: r.ts,
      correlationId: r.correlation_id,
      system: r.system,
      operation: r.operation,
      direction: r.direction,
      status: r.status,
      httpStatus: r.http_status,
      attempt: r.attempt,
      durationMs: r.duration_ms,
      body: r.body,
      bodySha256: r.body_sha256,
      bodyBytes: r.body_bytes,
      error: r.error,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ ts: last.ts_key, id: String(last.id) }) : null,
  };
}
