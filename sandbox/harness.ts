import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The frame every fake of an external system is built on: a real HTTP server on loopback that
 * records each request, and can be told to answer slowly, fail some requests, or be down.
 * A fake only adds its protocol routes; tests and the demo mode drive faults through the
 * methods here or through the control routes under /__sandbox.
 */
export interface RecordedRequest {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

export interface FaultPlan {
  /** Added to every answer, in milliseconds. */
  latencyMs?: number;
  /** Share of requests (0..1) answered with `errorStatus`. */
  errorRate?: number;
  errorStatus?: number;
  /** Every request fails with 503 (or the connection is dropped when `dropConnections`). */
  outage?: boolean;
  dropConnections?: boolean;
}

export interface FakeServerOptions {
  readonly name: string;
  /** Body shape of an injected error, so it looks like the real system's errors. */
  readonly errorBody?: (status: number) => unknown;
  /** Random source for error-rate decisions; injectable so tests are deterministic. */
  readonly random?: () => number;
}

export class FakeServer {
  readonly app: Express = express();
  readonly requests: RecordedRequest[] = [];
  private server: http.Server | undefined;
  private faults: FaultPlan = {};
  private readonly random: () => number;

  constructor(readonly options: FakeServerOptions) {
    this.random = options.random ?? Math.random;
    this.app.disable('x-powered-by');
    this.app.use('/__sandbox', this.controlRoutes());
    this.app.use((req, res, next) => this.record(req, res, next));
    this.app.use((req, res, next) => void this.applyFaults(req, res, next));
  }

  get url(): string {
    if (!this.server) throw new Error(`${this.options.name} sandbox is not started`);
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  setFaults(plan: FaultPlan): void {
    this.faults = { ...plan };
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) return this.url;
    const server = http.createServer(this.app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    this.server = server;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private record(req: Request, res: Response, next: NextFunction): void {
    const entry: RecordedRequest = {
      at: new Date().toISOString(),
      method: req.method,
      path: req.path,
      query: { ...req.query },
      headers: { ...req.headers },
      body: undefined,
    };
    this.requests.push(entry);
    if (this.requests.length > 10_000) this.requests.shift();
    // The body is whatever the fake's own parser made of it (JSON, form fields, multipart),
    // taken once the answer is sent, so recording never competes for the request stream.
    res.once('finish', () => {
      (entry as { body: unknown }).body = req.body;
    });
    next();
  }

  private async applyFaults(req: Request, res: Response, next: NextFunction): Promise<void> {
    const { latencyMs = 0, errorRate = 0, errorStatus = 500, outage = false, dropConnections = false } = this.faults;
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    if (outage && dropConnections) {
      req.socket.destroy();
      return;
    }
    if (outage || (errorRate > 0 && this.random() < errorRate)) {
      const status = outage ? 503 : errorStatus;
      res.status(status).json(this.options.errorBody?.(status) ?? { error: 'SANDBOX_FAULT', error_description: `injected ${status}` });
      return;
    }
    next();
  }

  /** GET /__sandbox/requests, POST /__sandbox/faults {plan}, DELETE /__sandbox/requests. */
  private controlRoutes(): express.Router {
    const router = express.Router();
    router.get('/requests', (_req, res) => {
      res.json({ name: this.options.name, requests: this.requests });
    });
    router.delete('/requests', (_req, res) => {
      this.clearRequests();
      res.status(204).end();
    });
    router.get('/faults', (_req, res) => {
      res.json(this.faults);
    });
    router.post('/faults', express.json(), (req, res) => {
      this.setFaults(req.body as FaultPlan);
      res.json(this.faults);
    });
    return router;
  }
}
