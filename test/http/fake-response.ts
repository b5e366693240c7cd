/**
 * A stand-in for the Express response an `http in` node puts in msg.res._res: it records what a
 * node sends, so node specs can check status, headers and body without an HTTP server.
 */
export interface FakeResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string | undefined;
  headersSent: boolean;
  status(code: number): FakeResponse;
  set(name: string, value: string): FakeResponse;
  send(body: string): FakeResponse;
  json(body: unknown): FakeResponse;
  /** The sent body parsed as JSON. */
  readonly sent: Record<string, unknown>;
}

export function fakeResponse(): FakeResponse {
  const res: FakeResponse = {
    statusCode: 200,
    headers: {},
    body: undefined,
    headersSent: false,
    status(code) {
      res.statusCode = code;
      return res;
    },
    set(name, value) {
      res.headers[name.toLowerCase()] = String(value);
      return res;
    },
    send(body) {
      if (res.headersSent) throw new Error('Cannot set headers after they are sent to the client');
      res.body = body;
      res.headersSent = true;
      return res;
    },
    json(body) {
      res.set('Content-Type', 'application/json');
      return res.send(JSON.stringify(body));
    },
    get sent() {
      return JSON.parse(res.body ?? 'null') as Record<string, unknown>;
    },
  };
  return res;
}

/** A message as an http in node emits it (request fields the nodes read, and the response wrapper). */
export function httpMsg(extra: Record<string, unknown> = {}, req: Record<string, unknown> = {}): { msg: Record<string, unknown>; res: FakeResponse } {
  const res = fakeResponse();
  const msg = {
    req: { method: 'POST', originalUrl: '/api/v1/queue/replay?token=secret', correlationId: 'corr-1', ip: '10.1.2.3', ...req },
    res: { _res: res },
    ...extra,
  };
  return { msg, res };
}
