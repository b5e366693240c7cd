import type { Request, RequestHandler, Response } from 'express';
import { BoundedLabel } from './bounded-label';
import type { MwMetrics } from './registry';

/**
 * Records every HTTP request by route *template* (`/api/v1/orders/:id`), never by raw URL: one
 * series per route, however many ids, typos and scanners hit the server. Requests that matched no
 * route are all 'unmatched'.
 */
export const UNMATCHED_ROUTE = 'unmatched';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface HttpMetricsOptions {
  /** Distinct route labels allowed (regex or array routes included); the rest are 'other'. */
  readonly maxRoutes?: number;
}

/**
 * Remembers the router mount path (req.baseUrl) at the moment Express matches a route. By the
 * time the response finishes, a route that failed (next(err) → 500) or fell through has left its
 * router and Express has already restored baseUrl, which would turn /api/v1/x into /x.
 */
const MATCHED_BASE = Symbol('matchedBaseUrl');
type TrackedRequest = Request & { [MATCHED_BASE]?: string };

function trackRouteMatch(req: TrackedRequest): void {
  let route: unknown = req.route;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set: (value: unknown) => {
      route = value;
      req[MATCHED_BASE] = req.baseUrl;
    },
  });
}

/** The matched route joined to the mount path of its router, as written in code. */
export function routeLabelOf(req: Request): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (path === undefined) return undefined;
  const template = typeof path === 'string' ? path : Array.isArray(path) ? path.map(String).join('|') : String(path);
  const base = (req as TrackedRequest)[MATCHED_BASE] ?? req.baseUrl ?? '';
  return `${base}${template === '/' && base ? '' : template}` || '/';
}

function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

export function httpMetrics(metrics: MwMetrics, options: HttpMetricsOptions = {}): RequestHandler {
  const routes = new BoundedLabel(options.maxRoutes ?? 300);
  return (req: Request, res: Response, next) => {
    const started = process.hrtime.bigint();
    trackRouteMatch(req);
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      // 499 (nginx's "client closed request"): the client went away before the answer was complete.
      const status = res.writableFinished ? res.statusCode : 499;
      const route = routes.value(routeLabelOf(req) ?? UNMATCHED_ROUTE);
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ method, route, status: String(status) }, seconds);
      metrics.httpRequests.inc({ method, route, status_class: statusClass(status) });
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}

/** GET /metrics: the Prometheus text exposition of the registry. */
export function metricsHandler(metrics: MwMetrics): RequestHandler {
  return (_req, res) => {
    metrics.registry.metrics().then(
      (text) => {
        res.setHeader('Content-Type', metrics.registry.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(text);
      },
      (error: unknown) => {
        res.status(500).type('text/plain').end(`metrics collection failed: ${(error as Error).message}`);
      },
    );
  };
}
