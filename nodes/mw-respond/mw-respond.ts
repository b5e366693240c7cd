import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { ProblemDetails } from '../../src/http/problem';
import type { IdempotencyContext } from '../../src/idempotency/gate';
import { idempotencyProblem } from '../../src/idempotency/problems';
import { buildResponse, respond, writeResponse, type RespondOutcome } from '../../src/idempotency/response';
import { migrateConfig } from '../../src/node-config/migrations';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwRespondMigrations, parseStatusList, type MwRespondDef } from './config';

type HttpMsg = NodeMessageInFlow & {
  req?: Request & { correlationId?: string };
  res?: { _res?: Response };
  correlationId?: string;
  statusCode?: unknown;
  headers?: Record<string, unknown>;
  problem?: ProblemDetails;
  idempotency?: IdempotencyContext;
  response?: { status: number; outcome: string };
};

/**
 * Replaces the core `http response` node on API routes: JSON (or problem+json) with the
 * correlation id, and — after mw-idempotency — the answer is recorded before it is sent.
 * Passes the message on (msg.response) so the exchange can be journaled after it.
 */
export default function registerMwRespond(RED: NodeAPI): void {
  function MwRespond(this: Node, def: NodeDef & Partial<MwRespondDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConfig<MwRespondDef>('mw-respond', def as unknown as Record<string, unknown>, mwRespondMigrations);
    const releaseStatuses = parseStatusList(config.releaseStatuses);
    const configNode = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;

    node.on('input', (msg: HttpMsg, send, done) => {
      const res = msg.res?._res;
      if (!res) {
        done(new Error(RED._('mw-respond.errors.notHttp')));
        return;
      }
      if (res.headersSent) {
        // Answered already (a gate reply, or a second path to this node): nothing to send, and
        // no error, so a catch node wired back here cannot loop.
        node.warn(RED._('mw-respond.errors.alreadySent'));
        done();
        return;
      }
      const correlationId = msg.correlationId ?? msg.req?.correlationId ?? (res.getHeader('x-correlation-id') as string | undefined);
      const response = buildResponse({
        payload: msg.payload,
        statusCode: msg.statusCode,
        headers: msg.headers,
        problem: msg.problem,
        correlationId,
        instance: (msg.req?.originalUrl ?? '').split('?')[0] || undefined,
      });
      let db: Knex | undefined;
      if (msg.idempotency) {
        try {
          db = configNode?.services.db;
        } catch {
          db = undefined; // answered as "store unavailable" below
        }
      }
      const answer: Promise<RespondOutcome> =
        msg.idempotency && !db
          ? Promise.reject(new Error(RED._('mw-respond.errors.noStore')))
          : respond(db, res, msg.idempotency, response, correlationId, { releaseStatuses });
      answer
        .catch((error: unknown): RespondOutcome => {
          // A gated request whose answer cannot be recorded is not answered with it (see respond()).
          if (!res.headersSent) {
            const problem = idempotencyProblem('IDEMPOTENCY_UNAVAILABLE', { correlationId, detail: 'The result could not be recorded. Retry with the same Idempotency-Key.' });
            writeResponse(res, buildResponse({ problem, correlationId }), correlationId, { 'Retry-After': '5' });
          }
          return { kind: 'store_failed', error };
        })
        .then((outcome) => {
          msg.response = { status: res.statusCode, outcome: outcome.kind };
          const failed = outcome.kind === 'store_failed';
          node.status({ fill: failed ? 'red' : 'green', shape: failed ? 'ring' : 'dot', text: `${res.statusCode} ${outcome.kind}` });
          send(msg);
          if (failed) done(outcome.error as Error);
          else done();
        }, (error: unknown) => done(error as Error));
    });
  }
  RED.nodes.registerType('mw-respond', MwRespond as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
