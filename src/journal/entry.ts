import { createHash } from 'node:crypto';
import { maskJournalText, maskJournalValue, storableText } from './redact';

/** One exchange with an external system, as callers describe it. */
export type JournalDirection = 'in' | 'out';
export type JournalStatus = 'ok' | 'error' | 'retry' | 'dead_letter' | 'rejected' | 'skipped' | (string & {});
/** masked: masked copy + hash; hash: SHA-256 only; none: no trace of the body. */
export type JournalBodyMode = 'masked' | 'hash' | 'none';

export interface JournalEntry {
  readonly ts?: Date;
  readonly correlationId?: string | null;
  readonly system: string;
  readonly operation: string;
  readonly direction: JournalDirection;
  readonly status: JournalStatus;
  readonly httpStatus?: number | null;
  readonly attempt?: number;
  readonly durationMs?: number | null;
  readonly body?: unknown;
  readonly bodyMode?: JournalBodyMode;
  readonly error?: unknown;
}

/** The row as inserted; `body` is JSON text (knex would turn JS arrays into PG arrays). */
export interface JournalRow {
  ts: Date;
  correlation_id: string | null;
  system: string;
  operation: string;
  direction: JournalDirection;
  status: string;
  http_status: number | null;
  attempt: number;
  duration_ms: number | null;
  body: string | null;
  body_sha256: string | null;
  body_bytes: number | null;
  error: string | null;
}

/** Bodies above this are kept as a hash only: the journal is not a payload archive. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const MAX_ERROR_CHARS = 2000;

export class JournalEntryError extends Error {
  override readonly name = 'JournalEntryError';
  readonly code = 'JOURNAL_ENTRY_INVALID';
}

function short(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}

function intOrNull(v: unknown, min: number, max: number): number | null {
  const n = typeof v === 'number' ? Math.round(v) : typeof v === 'string' && v.trim() !== '' ? Math.round(Number(v)) : NaN;
  return Number.isFinite(n) && n >= min && n <= max ? n : null;
}

/** The bytes the body was exchanged as (best effort for parsed objects: their JSON). */
function rawBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(JSON.stringify(body) ?? 'null');
}

/** Strings that carry JSON are stored structured, so the masks see their fields. */
function structured(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  const t = body.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return body;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return body;
  }
}

function errorText(error: unknown): string | null {
  if (error === undefined || error === null || error === '') return null;
  let text: string;
  if (typeof error === 'string') text = error;
  else if (error instanceof Error) text = error.message;
  else if (typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') text = (error as { message: string }).message;
  else text = JSON.stringify(error) ?? String(error);
  return short(maskJournalText(text), MAX_ERROR_CHARS);
}

/**
 * Validates an entry and turns it into a storable row. Masking happens here, before the row is
 * buffered, so raw personal data never waits in memory for a flush and a caller mutating its
 * message afterwards cannot change what was journaled.
 */
export function toJournalRow(entry: JournalEntry, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): JournalRow {
  const system = String(entry.system ?? '').trim();
  const operation = String(entry.operation ?? '').trim();
  const status = String(entry.status ?? '').trim();
  if (!system) throw new JournalEntryError('journal entry needs a system');
  if (!operation) throw new JournalEntryError('journal entry needs an operation');
  if (entry.direction !== 'in' && entry.direction !== 'out') throw new JournalEntryError(`journal direction must be 'in' or 'out', got ${String(entry.direction)}`);
  if (!status || status.length > 32) throw new JournalEntryError('journal status must be 1–32 characters');
  const ts = entry.ts instanceof Date && !Number.isNaN(entry.ts.getTime()) ? entry.ts : new Date();

  const row: JournalRow = {
    ts,
    correlation_id: entry.correlationId ? short(storableText(String(entry.correlationId)), 128) : null,
    system: short(storableText(system), 100),
    operation: short(storableText(operation), 200),
    direction: entry.direction,
    status,
    http_status: intOrNull(entry.httpStatus, 100, 599),
    attempt: intOrNull(entry.attempt, 1, 1_000_000) ?? 1,
    duration_ms: intOrNull(entry.durationMs, 0, 2_147_483_647),
    body: null,
    body_sha256: null,
    body_bytes: null,
    error: errorText(entry.error),
  };

  const mode = entry.bodyMode ?? 'masked';
  if (mode === 'none' || entry.body === undefined || entry.body === null) return row;
  const bytes = rawBytes(entry.body);
  row.body_sha256 = createHash('sha256').update(bytes).digest('hex');
  row.body_bytes = bytes.length;
  const binary = Buffer.isBuffer(entry.body) || entry.body instanceof Uint8Array;
  if (mode === 'masked' && !binary && bytes.length <= maxBodyBytes) {
    row.body = JSON.stringify(maskJournalValue(structured(entry.body)));
  }
  return row;
}
