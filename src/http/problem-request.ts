import type { Request } from 'express';
import { correlationIdOf } from './correlation';

/** What a problem needs to know about the request it answers. */
export interface ProblemContext {
  instance?: string;
  correlationId?: string;
}

type RequestLike = Pick<Request, 'originalUrl' | 'url'> & { correlationId?: string };

/**
 * The problem `instance` is the request path only: query strings carry search text and phone
 * numbers, which must not travel into logs and client-side error reports.
 */
export function requestInstance(req: Partial<RequestLike> | undefined): string | undefined {
  const url = req?.originalUrl ?? req?.url;
  if (typeof url !== 'string' || !url) return undefined;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function problemContextOf(req: Partial<RequestLike> | undefined): ProblemContext {
  if (!req) return {};
  const correlationId = correlationIdOf(req as Request) || undefined;
  return { instance: requestInstance(req), correlationId };
}
