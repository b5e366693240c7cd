import type { JournalEntry } from '../../src/journal/entry';
import type { MwJournalDef } from './config';

/** What the journal reads from a message; everything optional, flows differ. */
export interface JournalMsg {
  topic?: unknown;
  correlationId?: unknown;
  req?: { correlationId?: unknown; headers?: Record<string, unknown> };
  statusCode?: unknown;
  problem?: { status?: unknown; detail?: unknown; title?: unknown };
  error?: unknown;
  attempt?: unknown;
  durationMs?: unknown;
  /** Per-message overrides set by the flow (e.g. status 'retry' from a retry worker). */
  journal?: { system?: unknown; operation?: unknown; status?: unknown; direction?: unknown };
  response?: { status?: unknown };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

/** Turns a message into a journal entry: config first, msg.journal overrides, sensible defaults. */
export function entryFromMessage(msg: JournalMsg, config: Pick<MwJournalDef, 'system' | 'operation' | 'direction' | 'bodyMode'>, body: unknown): JournalEntry {
  const httpStatus = num(msg.statusCode) ?? num(msg.response?.status) ?? num(msg.problem?.status);
  const failed = msg.error !== undefined || msg.problem !== undefined || (httpStatus !== undefined && httpStatus >= 400);
  const errorText = msg.error ?? (msg.problem ? (str(msg.problem.detail) ?? str(msg.problem.title)) : undefined);
  const direction = msg.journal?.direction === 'in' || msg.journal?.direction === 'out' ? msg.journal.direction : config.direction;
  return {
    correlationId: str(msg.correlationId) ?? str(msg.req?.correlationId) ?? str(msg.req?.headers?.['x-correlation-id']) ?? null,
    system: str(msg.journal?.system) ?? str(config.system) ?? 'unknown',
    operation: str(msg.journal?.operation) ?? str(config.operation) ?? str(msg.topic) ?? 'unknown',
    direction,
    status: str(msg.journal?.status) ?? (failed ? 'error' : 'ok'),
    httpStatus: httpStatus ?? null,
    attempt: num(msg.attempt),
    durationMs: num(msg.durationMs) ?? null,
    body,
    bodyMode: config.bodyMode,
    error: errorText,
  };
}
