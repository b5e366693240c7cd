import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const CORRELATION_HEADER = 'X-Correlation-Id';

// A caller's id is kept only if it is a sane token, so logs cannot be polluted through it.
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

export function correlationIdOf(req: Request): string {
  return (req as Request & { correlationId?: string }).correlationId ?? '';
}

/** Takes X-Correlation-Id from the request or makes one, and echoes it on every response. */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get(CORRELATION_HEADER);
  const id = incoming && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
  (req as Request & { correlationId?: string }).correlationId = id;
  res.setHeader(CORRELATION_HEADER, id);
  next();
}
