import assert from 'node:assert/strict';
import catalogue from '../../contracts/errors.json';
import {
  allProblemCodes,
  catalogueEntry,
  PROBLEM_TYPE_BASE,
  problemFromCode,
  problemFromError,
  ProblemError,
  sendProblem,
} from '../../src/http/problem';
import { requestInstance } from '../../src/http/problem-request';

describe('problem catalogue', () => {
  it('has the codes the resilience contract relies on, with their statuses', () => {
    const expected: Record<string, number> = {
      VALIDATION_FAILED: 400,
      MALFORMED_JSON: 400,
      IDEMPOTENCY_KEY_MISSING: 400,
      UNAUTHORIZED: 401,
      FORBIDDEN: 403,
      NOT_FOUND: 404,
      ROUTE_NOT_FOUND: 404,
      IDEMPOTENCY_IN_FLIGHT: 409,
      OUT_OF_STOCK: 409,
      PAYLOAD_TOO_LARGE: 413,
      IDEMPOTENCY_KEY_REUSED: 422,
      UPSTREAM_BUSINESS_ERROR: 422,
      RATE_LIMITED: 429,
      INTERNAL: 500,
      UPSTREAM_UNAVAILABLE: 503,
      NOT_READY: 503,
    };
    for (const [code, status] of Object.entries(expected)) {
      assert.equal(catalogueEntry(code as never).status, status, code);
    }
  });

  it('gives every code a distinct absolute type URI, a title and a description', () => {
    const types = new Set<string>();
    for (const entry of allProblemCodes()) {
      assert.match(entry.code, /^[A-Z][A-Z0-9_]*$/);
      assert.ok(entry.type.startsWith(PROBLEM_TYPE_BASE) && new URL(entry.type), entry.code);
      assert.ok(entry.title && entry.description, entry.code);
      assert.ok(entry.status >= 400 && entry.status <= 599, entry.code);
      types.add(entry.type);
    }
    assert.equal(types.size, Object.keys(catalogue.codes).length);
  });

  it('keeps the NOT_READY type the readiness probe already publishes', () => {
    assert.equal(catalogueEntry('NOT_READY').type, 'https://spareparts-mw.example/problems/not-ready');
  });
});

describe('problemFromCode', () => {
  it('builds an RFC 9457 problem with code, correlation id and field errors', () => {
    const p = problemFromCode('VALIDATION_FAILED', {
      detail: 'qty must be positive',
      instance: '/api/v1/orders',
      correlationId: 'c-1',
      errors: [{ pointer: '/items/0/qty', message: 'must be >= 1' }],
      extra: { hint: 'see docs' },
    });
    assert.deepEqual(p, {
      type: 'https://spareparts-mw.example/problems/validation-failed',
      title: 'Request validation failed',
      status: 400,
      detail: 'qty must be positive',
      instance: '/api/v1/orders',
      code: 'VALIDATION_FAILED',
      correlation_id: 'c-1',
      errors: [{ pointer: '/items/0/qty', message: 'must be >= 1' }],
      hint: 'see docs',
    });
  });

  it('does not let extension members override the standard ones', () => {
    const p = problemFromCode('NOT_FOUND', { extra: { status: 200, code: 'OK', type: 'x', order_id: 7 } });
    assert.equal(p.status, 404);
    assert.equal(p.code, 'NOT_FOUND');
    assert.equal(p.type, catalogueEntry('NOT_FOUND').type);
    assert.equal(p.order_id, 7);
  });

  it('turns an unknown code into INTERNAL instead of throwing on an error path', () => {
    const p = problemFromCode('NO_SUCH_CODE');
    assert.equal(p.code, 'INTERNAL');
    assert.equal(p.status, 500);
  });

  it('omits empty members', () => {
    const p = problemFromCode('FORBIDDEN', { errors: [] });
    assert.deepEqual(Object.keys(p), ['type', 'title', 'status', 'code']);
    const full = problemFromCode('NOT_FOUND', { detail: 'd', instance: '/i', correlationId: 'c', extra: { x: 1 } });
    assert.deepEqual(Object.keys(full), ['type', 'title', 'status', 'detail', 'instance', 'code', 'correlation_id', 'x'], 'RFC members first');
  });
});

describe('problemFromError', () => {
  it('hides the message and stack of unexpected errors', () => {
    const err = new Error('select * from users where password = secret');
    const p = problemFromError(err, { correlationId: 'c-2', instance: '/x' });
    assert.equal(p.code, 'INTERNAL');
    assert.equal(p.status, 500);
    assert.ok(!JSON.stringify(p).includes('secret'));
    assert.ok(!JSON.stringify(p).includes('at '));
    assert.equal(p.correlation_id, 'c-2');
    assert.match(p.detail ?? '', /correlation id/);
  });

  it('shows the message of unexpected errors only when asked', () => {
    assert.equal(problemFromError(new TypeError('boom'), { exposeMessage: true }).detail, 'boom');
  });

  it('keeps deliberate problems: ProblemError and anything with a catalogue code', () => {
    const p = problemFromError(new ProblemError('OUT_OF_STOCK', 'only 2 left of SKU 123', { extra: { available: 2 } }));
    assert.equal(p.status, 409);
    assert.equal(p.code, 'OUT_OF_STOCK');
    assert.equal(p.detail, 'only 2 left of SKU 123');
    assert.equal(p.available, 2);
    // The shape a Catch node sees: message from toString(), code copied by Node-RED.
    const caught = { message: 'Error: order 5 does not exist', code: 'NOT_FOUND', source: { id: 'n1', type: 'function' } };
    assert.deepEqual([problemFromError(caught).code, problemFromError(caught).detail], ['NOT_FOUND', 'order 5 does not exist']);
  });

  it('does not repeat the title as detail for a ProblemError without one', () => {
    assert.equal(problemFromError(new ProblemError('FORBIDDEN')).detail, undefined);
    assert.equal(String(new ProblemError('FORBIDDEN', 'not your order')), 'not your order');
  });

  it('maps body-parser errors', () => {
    const parse = Object.assign(new SyntaxError('Unexpected token } in JSON at position 9'), { type: 'entity.parse.failed', status: 400 });
    assert.equal(problemFromError(parse).code, 'MALFORMED_JSON');
    const big = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, limit: 100 });
    const p = problemFromError(big);
    assert.deepEqual([p.code, p.status, p.detail], ['PAYLOAD_TOO_LARGE', 413, 'The body is larger than the limit of 100 bytes.']);
    assert.equal(problemFromError(Object.assign(new Error('x'), { type: 'charset.unsupported', status: 415 })).code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('maps network failures of outbound calls to upstream problems without host names', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:443'), { code: 'ECONNREFUSED' });
    const p = problemFromError(refused);
    assert.deepEqual([p.code, p.status], ['UPSTREAM_UNAVAILABLE', 503]);
    assert.ok(!JSON.stringify(p).includes('10.0.0.5'));
    assert.equal(problemFromError(Object.assign(new Error('t'), { code: 'ETIMEDOUT' })).code, 'UPSTREAM_TIMEOUT');
    assert.equal(problemFromError(Object.assign(new Error('t'), { name: 'TimeoutError' })).code, 'UPSTREAM_TIMEOUT');
  });

  it('maps http-errors style 4xx by status, 5xx to INTERNAL', () => {
    assert.equal(problemFromError(Object.assign(new Error('nope'), { status: 403, expose: true })).code, 'FORBIDDEN');
    assert.equal(problemFromError(Object.assign(new Error('nope'), { statusCode: 418 })).code, 'BAD_REQUEST');
    assert.equal(problemFromError(Object.assign(new Error('db down'), { status: 502 })).code, 'INTERNAL');
  });

  it('accepts non-Error throwables', () => {
    assert.equal(problemFromError('a string').code, 'INTERNAL');
    assert.equal(problemFromError(undefined).code, 'INTERNAL');
    assert.equal(problemFromError(null, { fallbackCode: 'UPSTREAM_UNAVAILABLE' }).code, 'UPSTREAM_UNAVAILABLE');
  });
});

describe('sendProblem', () => {
  it('writes status, problem content type, no-store and the correlation id', () => {
    const calls: unknown[][] = [];
    const res = {
      status: (s: number) => calls.push(['status', s]),
      set: (k: string, v: string) => calls.push(['set', k, v]),
      send: (b: string) => calls.push(['send', JSON.parse(b)]),
    };
    const p = problemFromCode('RATE_LIMITED', { correlationId: 'abc' });
    sendProblem(res, p);
    assert.deepEqual(calls, [
      ['status', 429],
      ['set', 'Content-Type', 'application/problem+json'],
      ['set', 'Cache-Control', 'no-store'],
      ['set', 'X-Correlation-Id', 'abc'],
      ['send', p],
    ]);
  });
});

describe('requestInstance', () => {
  it('is the path without the query, which may hold personal data', () => {
    assert.equal(requestInstance({ originalUrl: '/api/v1/search?q=%2B79991234567' }), '/api/v1/search');
    assert.equal(requestInstance({ url: '/x' }), '/x');
    assert.equal(requestInstance(undefined), undefined);
  });
});
