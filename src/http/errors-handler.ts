import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import type { Logger } from '../log';
import { problemFromCode, problemFromError, sendProblem } from './problem';
import { problemContextOf } from './problem-request';

export interface JsonBodyParserOptions {
  /** Largest accepted body, bytes or a string like '1mb' (body-parser syntax). */
  limit?: number | string;
  /**
   * Keep the exact bytes as `req.rawBody` (Buffer): signature checks and idempotency
   * fingerprints need the body as sent, not as re-serialised.
   */
  keepRawBody?: boolean;
}

export type RequestWithRawBody = Request & { rawBody?: Buffer };

/**
 * express.json() whose failures are answered as problems (MALFORMED_JSON, PAYLOAD_TOO_LARGE,
 * UNSUPPORTED_MEDIA_TYPE) instead of Express's HTML error page. Used both in front of our own
 * routers and as Node-RED's `httpNodeMiddleware`: it runs before the `http in` node's own parser,
 * which then sees the body already parsed (body-parser's `req._body`) and skips — otherwise a
 * bad body on a flow route becomes that node's bare "500 Internal Server Error".
 */
export function jsonBodyParser(options: JsonBodyParserOptions | number | string = {}): RequestHandler {
  const opts = typeof options === 'object' ? options : { limit: options };
  const keepRaw = opts.keepRawBody ?? true;
  const parse = express.json({
    limit: opts.limit ?? '1mb',
    type: ['application/json', 'application/*+json'],
    verify: keepRaw
      ? (req, _res, buf) => {
          (req as RequestWithRawBody).rawBody = buf;
        }
      : undefined,
  });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      sendProblem(res, problemFromError(err, problemContextOf(req)));
    });
  };
}

/** The fallback route: an unknown path gets a ROUTE_NOT_FOUND problem, never Express's HTML. */
export const notFoundHandler: RequestHandler = (req, res) => {
  const context = problemContextOf(req);
  sendProblem(res, problemFromCode('ROUTE_NOT_FOUND', { ...context, detail: `No endpoint answers ${req.method} ${context.instance ?? '/'}.` }));
};

/**
 * The last-resort error handler (mounted after every router). Answers problem+json without
 * internals and logs the failure with the correlation id, so the id a client quotes finds the
 * stack trace. When the response has already started nothing can be sent: Express's default
 * handler then closes the connection, which tells the client the body is incomplete.
 */
export function errorHandler(log: Pick<Logger, 'error' | 'warn'>): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const context = problemContextOf(req);
    const where = { correlation_id: context.correlationId, method: req.method, path: context.instance };
    if (res.headersSent) {
      log.error({ ...where, err }, 'request failed after the response started');
      next(err);
      return;
    }
    const problem = problemFromError(err, context);
    if (problem.status >= 500) log.error({ ...where, code: problem.code, err }, 'request failed');
    else log.warn({ ...where, code: problem.code, status: problem.status }, 'request refused');
    sendProblem(res, problem);
  };
}
