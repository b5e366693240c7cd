import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import express from 'express';
import { correlationMiddleware } from '../../src/http/correlation';
import { errorHandler, jsonBodyParser, notFoundHandler, type RequestWithRawBody } from '../../src/http/errors-handler';
import { ProblemError } from '../../src/http/problem';

interface LogEntry {
  level: 'error' | 'warn';
  obj: Record<string, unknown>;
  msg: string;
}

/** A real Express app on an ephemeral port, wired the way the middleware wires its routes. */
async function startApp(): Promise<{ base: string; logs: LogEntry[]; close: () => Promise<void> }> {
  const logs: LogEntry[] = [];
  const log = {
    error: (obj: Record<string, unknown>, msg: string) => logs.push({ level: 'error', obj, msg }),
    warn: (obj: Record<string, unknown>, msg: string) => logs.push({ level: 'warn', obj, msg }),
  };
  const app = express();
  app.set('env', 'test'); // Express's own final handler would print the late failure's stack
  app.use(correlationMiddleware);
  app.use(jsonBodyParser({ limit: 200 }));
  app.post('/echo', (req, res) => {
    res.json({ body: req.body, raw: (req as RequestWithRawBody).rawBody?.toString('utf8') });
  });
  app.get('/boom', () => {
    throw new Error('password=hunter2 at db.ts:12');
  });
  app.get('/gone', (_req, _res, next) => next(new ProblemError('NOT_FOUND', 'order 42 does not exist')));
  app.get('/half', (_req, res, next) => {
    res.status(200).write('partial');
    next(new Error('late failure'));
  });
  app.use(notFoundHandler);
  app.use(errorHandler(log as never));
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    logs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('Express problem handlers', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  async function problemOf(res: Response): Promise<Record<string, unknown>> {
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    return (await res.json()) as Record<string, unknown>;
  }

  it('parses JSON and keeps the raw bytes for signatures and fingerprints', async () => {
    const res = await fetch(`${app.base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a": 1}' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { body: { a: 1 }, raw: '{"a": 1}' });
  });

  it('answers malformed JSON with a MALFORMED_JSON problem carrying the correlation id', async () => {
    const res = await fetch(`${app.base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'corr-123' },
      body: '{"a": ',
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-correlation-id'), 'corr-123');
    const p = await problemOf(res);
    assert.equal(p.code, 'MALFORMED_JSON');
    assert.equal(p.correlation_id, 'corr-123');
    assert.equal(p.instance, '/echo');
  });

  it('answers an oversized body with PAYLOAD_TOO_LARGE', async () => {
    const res = await fetch(`${app.base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(500) }),
    });
    assert.equal(res.status, 413);
    const p = await problemOf(res);
    assert.equal(p.code, 'PAYLOAD_TOO_LARGE');
    assert.match(String(p.detail), /200 bytes/);
  });

  it('answers unknown routes with ROUTE_NOT_FOUND problem+json, never HTML', async () => {
    const res = await fetch(`${app.base}/api/v1/nothing?phone=%2B79990001122`, { headers: { accept: 'text/html' } });
    assert.equal(res.status, 404);
    assert.ok(res.headers.get('x-correlation-id'));
    const p = await problemOf(res);
    assert.equal(p.code, 'ROUTE_NOT_FOUND');
    assert.equal(p.instance, '/api/v1/nothing');
    assert.ok(!JSON.stringify(p).includes('7999'));
  });

  it('turns a thrown error into INTERNAL without leaking it, and logs it with the correlation id', async () => {
    const res = await fetch(`${app.base}/boom`, { headers: { 'x-correlation-id': 'corr-boom' } });
    assert.equal(res.status, 500);
    const p = await problemOf(res);
    assert.equal(p.code, 'INTERNAL');
    assert.ok(!JSON.stringify(p).includes('hunter2'));
    const entry = app.logs.find((l) => l.obj.correlation_id === 'corr-boom');
    assert.ok(entry, 'the failure is logged');
    assert.equal(entry.level, 'error');
    assert.match(String((entry.obj.err as Error).message), /hunter2/, 'the log keeps the real error');
  });

  it('passes deliberate problems through with their status and detail', async () => {
    const res = await fetch(`${app.base}/gone`);
    assert.equal(res.status, 404);
    const p = await problemOf(res);
    assert.deepEqual([p.code, p.detail], ['NOT_FOUND', 'order 42 does not exist']);
    assert.equal(app.logs.at(-1)?.level, 'warn');
  });

  it('cuts the connection when the response had already started', async () => {
    await assert.rejects(async () => {
      const res = await fetch(`${app.base}/half`);
      await res.text();
    });
    assert.equal(app.logs.at(-1)?.msg, 'request failed after the response started');
  });
});
