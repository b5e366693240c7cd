import assert from 'node:assert/strict';
import { canonicalJson, hashPrincipal, requestFingerprint } from '../../src/idempotency/fingerprint';
import { normaliseHeaderList, principalOf } from '../../src/idempotency/gate';
import { parseIdempotencyKey } from '../../src/idempotency/key';
import { buildResponse, storableResponse } from '../../src/idempotency/response';

describe('idempotency: key, fingerprint, response building', () => {
  describe('Idempotency-Key header', () => {
    it('is required', () => {
      assert.deepEqual(parseIdempotencyKey(undefined), { ok: false, code: 'IDEMPOTENCY_KEY_MISSING', reason: 'the Idempotency-Key header is required' });
    });

    it('accepts 1–255 visible ASCII characters, bare or as a structured-field string', () => {
      assert.deepEqual(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324'), { ok: true, key: '8e03978e-40d5-43e8-bc93-6894a57f9324' });
      assert.deepEqual(parseIdempotencyKey('"8e03978e-40d5"'), { ok: true, key: '8e03978e-40d5' });
      assert.deepEqual(parseIdempotencyKey('"a\\"b"'), { ok: true, key: 'a"b' });
      assert.deepEqual(parseIdempotencyKey('x'), { ok: true, key: 'x' });
      assert.equal(parseIdempotencyKey('k'.repeat(255)).ok, true);
    });

    it('refuses empty, too long, non-ASCII, spaced, control and repeated keys as malformed', () => {
      for (const bad of ['', '   ', '""', 'k'.repeat(256), 'ключ', 'a b', 'a\tb', 'a\u0001b', 'abc, def']) {
        const r = parseIdempotencyKey(bad);
        assert.equal(r.ok, false, bad);
        assert.equal(!r.ok && r.code, 'IDEMPOTENCY_KEY_MALFORMED', bad);
      }
      assert.equal(parseIdempotencyKey(['a', 'b']).ok, false);
    });
  });

  describe('fingerprint', () => {
    const base = { method: 'POST', path: '/api/v1/orders', principal: 'p1', body: { b: 1, a: [1, { y: 2, x: 1 }] } };

    it('canonicalises JSON: key order does not matter, array order does', () => {
      assert.equal(canonicalJson({ b: 1, a: { d: 1, c: undefined } }), '{"a":{"d":1},"b":1}');
      assert.equal(requestFingerprint(base), requestFingerprint({ ...base, method: 'post', body: { a: [1, { x: 1, y: 2 }], b: 1 } }));
      assert.notEqual(requestFingerprint(base), requestFingerprint({ ...base, body: { b: 1, a: [{ y: 2, x: 1 }, 1] } }));
    });

    it('differs by method, concrete path, query, principal and body', () => {
      const f = requestFingerprint(base);
      assert.notEqual(f, requestFingerprint({ ...base, method: 'PUT' }));
      assert.notEqual(f, requestFingerprint({ ...base, path: '/api/v1/orders/2' }));
      assert.notEqual(f, requestFingerprint({ ...base, query: { dry: '1' } }));
      assert.notEqual(f, requestFingerprint({ ...base, principal: 'p2' }));
      assert.notEqual(f, requestFingerprint({ ...base, body: { b: 2, a: [1, { y: 2, x: 1 }] } }));
      assert.notEqual(requestFingerprint({ ...base, body: Buffer.from('a') }), requestFingerprint({ ...base, body: Buffer.from('b') }));
    });

    it('hashes principals taken from secrets', () => {
      assert.match(principalOf('jwt-secret', true), /^sha256:[0-9a-f]{64}$/);
      assert.equal(principalOf('jwt-secret', true), hashPrincipal('jwt-secret'));
      assert.equal(principalOf('10.0.0.1', false), '10.0.0.1');
      assert.equal(principalOf(undefined, true), 'anonymous');
      assert.deepEqual(normaliseHeaderList(' Location, ETag ,location'), ['location', 'etag']);
    });
  });

  describe('response building', () => {
    it('sends payloads as JSON, problems as application/problem+json with the correlation id', () => {
      const ok = buildResponse({ payload: { id: 7 }, statusCode: 201, headers: { Location: '/orders/7' } });
      assert.equal(ok.status, 201);
      assert.equal(ok.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(ok.headers.location, '/orders/7');
      assert.equal(ok.body.toString(), '{"id":7}');

      const problem = buildResponse({
        payload: { ignored: true },
        problem: { type: 'about:blank', title: 'Bad', status: 422, code: 'X' },
        correlationId: 'c-1',
        instance: '/api/v1/orders',
      });
      assert.equal(problem.status, 422);
      assert.equal(problem.headers['content-type'], 'application/problem+json');
      assert.deepEqual(JSON.parse(problem.body.toString()), { type: 'about:blank', title: 'Bad', status: 422, code: 'X', correlation_id: 'c-1', instance: '/api/v1/orders' });
    });

    it('keeps text under an explicit type, bytes as bytes, and 204 empty', () => {
      assert.equal(buildResponse({ payload: 'a;b', headers: { 'Content-Type': 'text/csv' } }).body.toString(), 'a;b');
      assert.equal(buildResponse({ payload: 'plain' }).body.toString(), '"plain"');
      assert.equal(buildResponse({ payload: Buffer.from([1, 2]) }).headers['content-type'], 'application/octet-stream');
      assert.equal(buildResponse({ payload: { a: 1 }, statusCode: 204 }).body.length, 0);
      assert.equal(buildResponse({ payload: 1, statusCode: 'nonsense' }).status, 200);
    });

    it('stores Content-Type and the chosen headers only, never the correlation id or cookies', () => {
      const r = buildResponse({ payload: {}, headers: { Location: '/x', 'X-Correlation-Id': 'c', 'Set-Cookie': 's=1', 'X-Debug': '1' } });
      assert.deepEqual(storableResponse(r, ['location', 'x-correlation-id', 'set-cookie']).headers, {
        'content-type': 'application/json; charset=utf-8',
        location: '/x',
      });
    });
  });
});
