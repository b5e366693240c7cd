import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import express, { type Request, type Response } from 'express';
import { correlationMiddleware } from '../../src/http/correlation';
import { helper } from '../support/node-helper';

/**
 * Stands in for the `http in` node: a real Express app on an ephemeral port hands each request
 * to a node as msg.req / msg.res._res, exactly as http in does (with its JSON body parser).
 */
export interface HttpHarness {
  readonly base: string;
  close(): Promise<void>;
}

export async function startHttpIn(targetNodeId: string, path = '/api/v1/orders'): Promise<HttpHarness> {
  const app = express();
  app.use(correlationMiddleware);
  app.use(express.json());
  let seq = 0;
  app.all([path, `${path}/*`], (req: Request, res: Response) => {
    helper.getNode(targetNodeId).receive({ _msgid: `m${++seq}`, req, res: { _res: res }, payload: req.method === 'GET' ? req.query : req.body });
  });
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        // Requests a test left unanswered on purpose (a "crashed" execution) must not hold it open.
        server.closeAllConnections();
      }),
  };
}
