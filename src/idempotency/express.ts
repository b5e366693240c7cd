import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { correlationIdOf } from '../http/correlation';
import { sendProblem } from '../http/problem';
import { gateRequest, principalOf, type GateOptions, type IdempotencyContext } from './gate';
import { buildResponse, respond, writeReplay, type RespondOptions, type RespondOutcome, type ResponseInput } from './response';

/**
 * The same gate and store-first responder for routes mounted on Express directly (API routes
 * outside Node-RED). Use idempotencyMiddleware() before the handler and sendIdempotent() in it.
 */

export interface IdempotencyMiddlewareOptions extends GateOptions, RespondOptions {
  readonly db: Knex;
  /** The caller's identity: user token, API token, device id… (raw; hashed when hashPrincipal). */
  readonly principal: (req: Request) => unknown;
  readonly hashPrincipal?: boolean;
  /** Called when the gate refuses because of a storage error, or a response could not be stored. */
  readonly onError?: (error: unknown, req: Request) => void;
}

interface IdempotencyLocals {
  readonly db: Knex;
  readonly context?: IdempotencyContext;
  readonly options: IdempotencyMiddlewareOptions;
}

const LOCALS_KEY = 'idempotency';

export function idempotencyMiddleware(options: IdempotencyMiddlewareOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const correlationId = correlationIdOf(req) || undefined;
    gateRequest(
      options.db,
      {
        method: req.method,
        // The concrete path as the client sent it (mount prefix included), without the query.
        path: req.originalUrl.split('?')[0],
        query: req.query as Record<string, unknown>,
        headers: req.headers,
        body: req.body,
        principal: principalOf(options.principal(req), options.hashPrincipal ?? true),
        correlationId,
      },
      options,
    ).then((decision) => {
      switch (decision.kind) {
        case 'pass':
        case 'execute':
          res.locals[LOCALS_KEY] = { db: options.db, context: decision.kind === 'execute' ? decision.context : undefined, options } satisfies IdempotencyLocals;
          next();
          return;
        case 'replay':
          writeReplay(res, decision.response, correlationId);
          return;
        case 'problem':
          if (decision.error) options.onError?.(decision.error, req);
          for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
          sendProblem(res, decision.problem);
      }
    }, next);
  };
}

/** The context the gate set for this request, if any (e.g. to log the key). */
export function idempotencyContextOf(res: Response): IdempotencyContext | undefined {
  return (res.locals[LOCALS_KEY] as IdempotencyLocals | undefined)?.context;
}

/** Answers the request; under a key the answer is recorded before it is sent. */
export async function sendIdempotent(req: Request, res: Response, input: Omit<ResponseInput, 'correlationId' | 'instance'>): Promise<RespondOutcome> {
  const locals = res.locals[LOCALS_KEY] as IdempotencyLocals | undefined;
  const correlationId = correlationIdOf(req) || undefined;
  const response = buildResponse({ ...input, correlationId, instance: req.originalUrl.split('?')[0] });
  const outcome = await respond(locals?.db, res, locals?.context, response, correlationId, locals?.options);
  if (outcome.kind === 'store_failed') locals?.options.onError?.(outcome.error, req);
  return outcome;
}
