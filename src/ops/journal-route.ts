import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import { correlationIdOf } from '../http/correlation';
import { problemFromCode } from '../http/problem-builder';
import { sendProblem } from '../http/problem';
import { JournalCursorError, MAX_PAGE_SIZE, queryJournal, type JournalRecord } from '../journal';

type FieldError = { pointer: string; message: string };

function parseDate(raw: unknown, name: string, errors: FieldError[]): Date | undefined {
  if (raw === undefined) return undefined;
  const d = typeof raw === 'string' ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(d.getTime())) errors.push({ pointer: `/query/${name}`, message: `${name} must be an ISO 8601 date-time` });
  return d;
}

function oneString(raw: unknown, name: string, errors: FieldError[]): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 200) {
    errors.push({ pointer: `/query/${name}`, message: `${name} must be one non-empty string` });
    return undefined;
  }
  return raw;
}

function toApi(r: JournalRecord): Record<string, unknown> {
  return {
    id: r.id,
    ts: r.ts.toISOString(),
    correlation_id: r.correlationId,
    system: r.system,
    operation: r.operation,
    direction: r.direction,
    status: r.status,
    http_status: r.httpStatus,
    attempt: r.attempt,
    duration_ms: r.durationMs,
    body: r.body,
    body_sha256: r.bodySha256,
    error: r.error,
  };
}

/** GET /journal?correlation_id=|system=&operation=&direction=&status=&since=&until=&limit=&cursor= */
export function journalRoute(db: Knex): RequestHandler {
  return async (req, res, next) => {
    const errors: FieldError[] = [];
    const q = req.query;
    const correlationId = oneString(q.correlation_id, 'correlation_id', errors);
    const system = oneString(q.system, 'system', errors);
    const operation = oneString(q.operation, 'operation', errors);
    const status = oneString(q.status, 'status', errors);
    const cursor = oneString(q.cursor, 'cursor', errors);
    const direction = oneString(q.direction, 'direction', errors);
    if (direction && direction !== 'in' && direction !== 'out') errors.push({ pointer: '/query/direction', message: 'direction must be in or out' });
    const since = parseDate(q.since, 'since', errors);
    const until = parseDate(q.until, 'until', errors);
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) errors.push({ pointer: '/query/limit', message: `limit must be 1–${MAX_PAGE_SIZE}` });
    const instance = req.originalUrl.split('?')[0];
    if (errors.length) {
      sendProblem(res, problemFromCode('VALIDATION_FAILED', { detail: errors.map((e) => e.message).join('; '), errors, instance, correlationId: correlationIdOf(req) }));
      return;
    }
    try {
      const page = await queryJournal(db, { correlationId, system, operation, status, direction: direction as 'in' | 'out' | undefined, since, until, limit, cursor });
      res.json({ items: page.items.map(toApi), next_cursor: page.nextCursor });
    } catch (error) {
      if (error instanceof JournalCursorError) {
        sendProblem(res, problemFromCode('VALIDATION_FAILED', { detail: 'cursor is not valid', errors: [{ pointer: '/query/cursor', message: 'cursor is not valid' }], instance, correlationId: correlationIdOf(req) }));
        return;
      }
      next(error);
    }
  };
}
