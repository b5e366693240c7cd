import { Router, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { correlationIdOf } from '../http/correlation';
import { sendProblem, type ProblemDetails } from '../http/problem';
import { sendIdempotent } from '../idempotency/express';
import { DeliveryNotFoundError, DeliveryNotReplayableError, getDelivery, listQueue, MAX_LIST_LIMIT, queueStats, replayDead } from './admin';
import { outboundBus } from './bus';
import { DELIVERY_STATES, isDeliveryState, type DeliveryItem } from './types';

/**
 * Ops API of the outbound queue, ready to mount (e.g. at /api/v1): statistics, listing, one item,
 * manual replay. Errors are RFC 9457 problems like the rest of the API. Authentication and the
 * Idempotency-Key middleware are the mounting app's; replay is safe to repeat anyway (a second
 * replay of the same item answers 409, it never queues it twice).
 */
const PROBLEM_BASE = 'https://spareparts-mw.example/problems';

export function toApiItem(item: DeliveryItem): Record<string, unknown> {
  return {
    id: item.id,
    destination: item.destination,
    operation: item.operation,
    state: item.state,
    attempt: item.attempt,
    correlation_id: item.correlationId,
    idempotency_key: item.idempotencyKey,
    next_attempt_at: item.nextAttemptAt.toISOString(),
    deadline_at: item.deadlineAt.toISOString(),
    created_at: item.createdAt.toISOString(),
    delivered_at: item.deliveredAt?.toISOString() ?? null,
    dead_at: item.deadAt?.toISOString() ?? null,
    last_status: item.lastStatus,
    last_error: item.lastError,
    replays: item.replays,
    payload: item.payload,
  };
}

function badRequest(req: Request, res: Response, errors: { pointer: string; message: string }[]): void {
  sendProblem(res, {
    type: `${PROBLEM_BASE}/validation`,
    title: 'Invalid request',
    status: 400,
    detail: errors.map((e) => e.message).join('; '),
    instance: req.originalUrl,
    code: 'VALIDATION_FAILED',
    correlation_id: correlationIdOf(req),
    errors,
  });
}

function parseId(raw: string | undefined): number | undefined {
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

export function queueRouter(db: Knex): Router {
  const router = Router();

  router.get('/queue', async (req, res, next) => {
    try {
      const stats = await queueStats(db);
      res.json({
        generated_at: new Date().toISOString(),
        total: stats.reduce((n, s) => n + s.count, 0),
        stats: stats.map((s) => ({ destination: s.destination, state: s.state, count: s.count, oldest_age_s: Math.round(s.oldestAgeSeconds) })),
      });
    } catch (error) {
      next(error);
    }
  });

  router.get('/queue/items', async (req, res, next) => {
    const { destination, state, limit, cursor } = req.query;
    const errors: { pointer: string; message: string }[] = [];
    if (state !== undefined && !isDeliveryState(state)) errors.push({ pointer: '/query/state', message: `state must be one of ${DELIVERY_STATES.join(', ')}` });
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIST_LIMIT) errors.push({ pointer: '/query/limit', message: `limit must be 1–${MAX_LIST_LIMIT}` });
    if (destination !== undefined && typeof destination !== 'string') errors.push({ pointer: '/query/destination', message: 'destination must be a string' });
    if (cursor !== undefined && typeof cursor !== 'string') errors.push({ pointer: '/query/cursor', message: 'cursor must be a string' });
    if (errors.length) return badRequest(req, res, errors);
    try {
      const page = await listQueue(db, {
        destination: destination as string | undefined,
        state: state as DeliveryItem['state'] | undefined,
        limit: n,
        cursor: cursor as string | undefined,
      });
      res.json({ items: page.items.map(toApiItem), next_cursor: page.nextCursor ?? null });
    } catch (error) {
      if (error instanceof RangeError) return badRequest(req, res, [{ pointer: '/query/cursor', message: 'cursor is not valid' }]);
      next(error);
    }
  });

  router.get('/queue/items/:id', async (req, res, next) => {
    const id = parseId(req.params.id);
    if (!id) return badRequest(req, res, [{ pointer: '/path/id', message: 'id must be a positive integer' }]);
    try {
      const item = await getDelivery(db, id);
      if (!item) return notFound(req, res, new DeliveryNotFoundError(id));
      res.json(toApiItem(item));
    } catch (error) {
      next(error);
    }
  });

  // Manual replay. Mounted behind the Idempotency-Key gate: the answer goes through
  // sendIdempotent so a retried request gets the first answer back, not a 409 "already pending".
  router.post('/queue/:id/replay', async (req, res, next) => {
    const id = parseId(req.params.id);
    if (!id) return badRequest(req, res, [{ pointer: '/path/id', message: 'id must be a positive integer' }]);
    try {
      const item = await replayDead(db, id);
      outboundBus().emit('enqueued', { destination: item.destination, id: item.id });
      await sendIdempotent(req, res, { statusCode: 200, payload: toApiItem(item) });
    } catch (error) {
      if (error instanceof DeliveryNotFoundError) return void (await sendIdempotent(req, res, { problem: notFoundProblem(req, error) }));
      if (error instanceof DeliveryNotReplayableError) {
        return void (await sendIdempotent(req, res, {
          problem: {
            type: `${PROBLEM_BASE}/delivery-not-replayable`,
            title: 'Delivery cannot be replayed',
            status: 409,
            detail: error.message,
            instance: req.originalUrl,
            code: error.code,
            correlation_id: correlationIdOf(req),
            state: error.state,
          },
        }));
      }
      next(error);
    }
  });

  return router;
}

function notFound(req: Request, res: Response, error: DeliveryNotFoundError): void {
  sendProblem(res, notFoundProblem(req, error));
}

function notFoundProblem(req: Request, error: DeliveryNotFoundError): ProblemDetails {
  return {
    type: `${PROBLEM_BASE}/delivery-not-found`,
    title: 'Delivery not found',
    status: 404,
    detail: error.message,
    instance: req.originalUrl,
    code: error.code,
    correlation_id: correlationIdOf(req),
  };
}
