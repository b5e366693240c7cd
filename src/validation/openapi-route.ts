import type { RequestHandler } from 'express';
import { apiOperations, buildOpenApiDocument, type OpenApiDocument } from './openapi';

/**
 * GET handler serving the OpenAPI document (mount at /openapi.json). Built on first request and
 * again only when a route module registered more operations since.
 */
export function openApiHandler(build: () => OpenApiDocument = () => buildOpenApiDocument()): RequestHandler {
  let cached: { revision: number; body: string } | undefined;
  return (_req, res) => {
    if (!cached || cached.revision !== apiOperations.revision) {
      cached = { revision: apiOperations.revision, body: JSON.stringify(build()) };
    }
    res.set('Cache-Control', 'no-cache');
    res.type('application/json').send(cached.body);
  };
}
