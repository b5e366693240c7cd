import type { Response } from 'express';
import { CORRELATION_HEADER } from './correlation';

/** One failing field of a validation problem: RFC 6901 JSON pointer into the payload. */
export interface ProblemFieldError {
  pointer: string;
  message: string;
}

/** RFC 9457 problem details, plus our stable `code` and the request's correlation id. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  correlation_id?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The part of a response sendProblem needs. Express's Response has it; so does the `_res` of a
 * Node-RED `http in` message, and the small fakes node specs use.
 */
export interface ProblemResponse {
  status(code: number): unknown;
  set(field: string, value: string): unknown;
  send(body: string): unknown;
  readonly headersSent?: boolean;
}

/**
 * Writes the problem as application/problem+json. The correlation id is echoed as a header too
 * (the correlation middleware normally set it already; responses built outside it still carry
 * it), and problems are never cached: they describe one request.
 */
export function sendProblem(res: ProblemResponse | Response, problem: ProblemDetails): void {
  const r = res as ProblemResponse;
  r.status(problem.status);
  r.set('Content-Type', PROBLEM_CONTENT_TYPE);
  r.set('Cache-Control', 'no-store');
  if (problem.correlation_id) r.set(CORRELATION_HEADER, problem.correlation_id);
  r.send(JSON.stringify(problem));
}

export { problemFromCode, problemFromError, ProblemError, type ProblemOptions, type FromErrorOptions } from './problem-builder';
export { catalogueEntry, isProblemCode, allProblemCodes, codeForStatus, PROBLEM_TYPE_BASE, type ProblemCode, type ProblemCatalogueEntry } from './problem-catalogue';
