import { Router } from 'express';
import type { Knex } from 'knex';
import { jsonBodyParser } from '../http/errors-handler';
import { idempotencyMiddleware } from '../idempotency/express';
import type { MwMetrics } from '../metrics';
import { metricsHandler } from '../metrics';
import { queueRouter } from '../outbound';
import { registerOperation } from '../validation/openapi';
import { journalRoute } from './journal-route';
import { requireOpsToken } from './ops-auth';

const OPS_SECURITY = ['apiToken'];

/** The OpenAPI description of the ops endpoints (served at /api/v1/openapi.json). */
function describeOpsOperations(): void {
  const query = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ name, in: 'query' as const, description, schema });
  registerOperation({
    method: 'get',
    path: '/api/v1/journal',
    operationId: 'listJournal',
    summary: 'Integration journal records, newest first (keyset paging)',
    tags: ['ops'],
    security: OPS_SECURITY,
    rateLimited: false,
    parameters: [
      query('correlation_id', 'Only records of this exchange'),
      query('system', 'shop, telegram, b24, ut10, ut11, …'),
      query('operation', 'Operation name'),
      query('direction', 'in or out', { enum: ['in', 'out'] }),
      query('status', 'ok, error, …'),
      query('since', 'From this time (ISO 8601)', { type: 'string', format: 'date-time' }),
      query('until', 'Before this time (ISO 8601)', { type: 'string', format: 'date-time' }),
      query('limit', 'Page size, 1–500', { type: 'integer', minimum: 1, maximum: 500 }),
      query('cursor', 'next_cursor of the previous page'),
    ],
    responses: { '200': { description: 'A page of journal records' } },
    problems: ['VALIDATION_FAILED', 'UNAUTHORIZED'],
  });
  registerOperation({
    method: 'get',
    path: '/api/v1/queue',
    operationId: 'queueStats',
    summary: 'Outbound delivery queue: counts and oldest age by destination and state',
    tags: ['ops'],
    security: OPS_SECURITY,
    rateLimited: false,
    responses: { '200': { description: 'Queue statistics' } },
    problems: ['UNAUTHORIZED'],
  });
  registerOperation({
    method: 'post',
    path: '/api/v1/queue/{id}/replay',
    operationId: 'replayDelivery',
    summary: 'Put a dead-lettered or needs-a-human delivery back into the queue',
    tags: ['ops'],
    security: OPS_SECURITY,
    rateLimited: false,
    parameters: [{ name: 'id', in: 'path', required: true, description: 'Delivery id', schema: { type: 'integer', minimum: 1 } }],
    responses: { '200': { description: 'The delivery, pending again' } },
    problems: ['DELIVERY_NOT_FOUND', 'DELIVERY_NOT_REPLAYABLE', 'UNAUTHORIZED'],
  });
}

/**
 * Ops endpoints under /api/v1 (journal, queue, replay) and /metrics, all behind the ops token.
 * Every POST passes the Idempotency-Key gate, like every state-changing call of the API.
 */
export function opsRouter(db: Knex, metrics: MwMetrics, token: string): Router {
  describeOpsOperations();
  const auth = requireOpsToken(token);
  const router = Router();
  router.get('/metrics', auth, metricsHandler(metrics));
  // Auth is attached to the ops paths only: other /api/v1 routes (served by flows) have their own.
  const api = Router();
  api.use(['/journal', '/queue'], auth);
  api.post('/queue/:id/replay', jsonBodyParser({ limit: '64kb' }), idempotencyMiddleware({ db, principal: () => 'ops', hashPrincipal: false }));
  api.get('/journal', journalRoute(db));
  api.use(queueRouter(db));
  router.use('/api/v1', api);
  return router;
}
