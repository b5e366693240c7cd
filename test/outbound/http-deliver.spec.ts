import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpDeliver, renderUrlTemplate, TemplateError, type DeliveryItem } from '../../src/outbound';

/** A local stand-in for a destination: answers what the test scripts, records what it got. */
function startServer(handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handler(req, body, res));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    }),
  );
}

function item(overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  const now = new Date();
  return {
    id: 42,
    destination: 'b24',
    operation: 'tasks.task.add',
    correlationId: 'corr-1',
    idempotencyKey: 'b24:A-1',
    payload: { fields: { TITLE: 'Заказ A-1', RESPONSIBLE_ID: 7 } },
    state: 'in_progress',
    attempt: 1,
    nextAttemptAt: now,
    lockedBy: 'w',
    lockedUntil: now,
    lastError: null,
    lastStatus: null,
    createdAt: now,
    deadlineAt: now,
    updatedAt: now,
    deliveredAt: null,
    deadAt: null,
    replays: 0,
    ...overrides,
  };
}

const signal = (): AbortSignal => new AbortController().signal;

describe('outbound: HTTP delivery', () => {
  it('renders URL templates, encoding values unless triple-braced', () => {
    assert.equal(renderUrlTemplate('{{{payload.base}}}/rest/{{operation}}?id={{id}}&q={{payload.q}}', { id: 5, operation: 'tasks.task.add', payload: { base: 'http://x/y', q: 'а б' } }), 'http://x/y/rest/tasks.task.add?id=5&q=%D0%B0%20%D0%B1');
    assert.throws(() => renderUrlTemplate('/x/{{payload.missing}}', { payload: {} }), TemplateError);
  });

  it('POSTs the payload as JSON with idempotency key, correlation id and auth, and classifies the answer', async () => {
    const seen: { url?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
    const server = await startServer((req, body, res) => {
      Object.assign(seen, { url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { task: { id: '3711' } } }));
    });
    try {
      const deliver = createHttpDeliver({ urlTemplate: `${server.url}/rest/1/hook/{{operation}}`, auth: { type: 'bearer', token: 'secret' }, headers: { 'x-extra': '1' } });
      const outcome = await deliver(item(), { signal: signal() });
      assert.deepEqual(outcome, { kind: 'delivered', status: 200, response: { result: { task: { id: '3711' } } } });
      assert.equal(seen.url, '/rest/1/hook/tasks.task.add');
      assert.equal(seen.headers?.['idempotency-key'], 'b24:A-1');
      assert.equal(seen.headers?.['x-correlation-id'], 'corr-1');
      assert.equal(seen.headers?.authorization, 'Bearer secret');
      assert.equal(seen.headers?.['x-extra'], '1');
      assert.deepEqual(JSON.parse(seen.body!), { fields: { TITLE: 'Заказ A-1', RESPONSIBLE_ID: 7 } });
    } finally {
      await server.close();
    }
  });

  it('reports 429 with Retry-After as transient and a Bitrix refusal as business', async () => {
    let answer: [number, Record<string, string>, unknown] = [429, { 'retry-after': '30' }, { error: 'QUERY_LIMIT_EXCEEDED' }];
    const server = await startServer((_req, _body, res) => {
      res.writeHead(answer[0], { 'content-type': 'application/json', ...answer[1] }).end(JSON.stringify(answer[2]));
    });
    try {
      const deliver = createHttpDeliver({ urlTemplate: `${server.url}/x`, auth: { type: 'basic', username: 'u', password: 'p' } });
      const limited = await deliver(item(), { signal: signal() });
      assert.equal(limited.kind, 'transient');
      assert.equal(limited.kind === 'transient' && limited.retryAfterMs, 30_000);
      answer = [400, {}, { error: 'ERROR_CORE', error_description: 'Не указан ответственный' }];
      const refused = await deliver(item(), { signal: signal() });
      assert.deepEqual([refused.kind, refused.status], ['business', 400]);
    } finally {
      await server.close();
    }
  });

  it('times out a hanging destination and reports a refused connection as transient', async () => {
    const server = await startServer(() => undefined); // never answers
    try {
      const slow = await createHttpDeliver({ urlTemplate: `${server.url}/x`, timeoutMs: 100 })(item(), { signal: signal() });
      assert.equal(slow.kind, 'transient');
      assert.match(slow.kind === 'transient' ? slow.error : '', /^timeout/);
    } finally {
      await server.close();
    }
    // The closed server's port: nothing listens there now.
    const refused = await createHttpDeliver({ urlTemplate: `${server.url}/x` })(item(), { signal: signal() });
    assert.equal(refused.kind, 'transient');
    assert.match(refused.kind === 'transient' ? refused.error : '', /network error ECONNREFUSED/);
  });

  it('a URL the item cannot fill is a business error, not a retry loop', async () => {
    const outcome = await createHttpDeliver({ urlTemplate: 'http://127.0.0.1:1/{{payload.orderId}}' })(item(), { signal: signal() });
    assert.equal(outcome.kind, 'business');
  });
});
