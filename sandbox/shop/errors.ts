import type { NextFunction, Request, Response } from 'express';

/**
 * Errors of the shop API in the Bitrix REST shape: `{error: 'CODE', error_description: 'text'}`
 * with a meaningful HTTP status. The description is for logs, not for end users (as in Bitrix).
 */
export class ShopError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
    this.name = 'ShopError';
  }

  toBody(): ShopErrorBody {
    return { error: this.code, error_description: this.message };
  }
}

export interface ShopErrorBody {
  error: string;
  error_description: string;
}

export const invalidArgument = (description: string): ShopError => new ShopError(400, 'INVALID_ARGUMENT', description);
export const invalidToken = (description: string): ShopError => new ShopError(401, 'INVALID_TOKEN', description);
export const notFound = (code: string, description: string): ShopError => new ShopError(404, code, description);
export const conflict = (code: string, description: string): ShopError => new ShopError(409, code, description);

/** Bodies of system errors, also used by the harness for injected faults and outages. */
export function systemErrorBody(status: number): ShopErrorBody {
  switch (status) {
    case 400:
      return { error: 'INVALID_REQUEST', error_description: 'Bad request' };
    case 401:
      return { error: 'INVALID_TOKEN', error_description: 'The access token provided is invalid' };
    case 403:
      return { error: 'ACCESS_DENIED', error_description: 'Access denied' };
    case 404:
      return { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' };
    case 429:
      return { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' };
    case 500:
      return { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' };
    case 502:
      return { error: 'BAD_GATEWAY', error_description: 'Bad gateway' };
    case 503:
      return { error: 'SERVICE_UNAVAILABLE', error_description: 'Service temporarily unavailable' };
    case 504:
      return { error: 'GATEWAY_TIMEOUT', error_description: 'Gateway timeout' };
    default:
      return { error: status >= 500 ? 'INTERNAL_SERVER_ERROR' : `ERROR_${status}`, error_description: `HTTP ${status}` };
  }
}

export function sendError(res: Response, error: ShopError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json(error.toBody());
}

/** Last handler: ShopError as is, body-parser failures as INVALID_REQUEST, anything else as 500. */
export function errorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error instanceof ShopError) {
    sendError(res, error);
    return;
  }
  const parser = error as { type?: string; status?: number; message?: string };
  if (typeof parser.type === 'string' && typeof parser.status === 'number' && parser.status < 500) {
    const description = parser.type === 'entity.parse.failed' ? 'Request body is not valid JSON' : (parser.message ?? 'Bad request');
    const code = parser.type === 'entity.too.large' ? 'REQUEST_TOO_LARGE' : 'INVALID_REQUEST';
    res.status(parser.status).json({ error: code, error_description: description });
    return;
  }
  res.status(500).json(systemErrorBody(500));
}
