import assert from 'node:assert/strict';
import { classifyOutcome, parseRetryAfter } from '../../src/outbound/classify';

describe('outbound: classifyOutcome', () => {
  const now = Date.parse('2026-11-26T10:00:00Z');

  it('treats 2xx as delivered and keeps the response', () => {
    const outcome = classifyOutcome({ status: 200, body: { result: { task: { id: '3711' } } } }, now);
    assert.deepEqual(outcome, { kind: 'delivered', status: 200, response: { result: { task: { id: '3711' } } } });
  });

  it('retries network errors and timeouts', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
    const r = classifyOutcome({ error: refused }, now);
    assert.equal(r.kind, 'transient');
    assert.match((r as { error: string }).error, /network error ECONNREFUSED/);
    const timeout = classifyOutcome({ error: new DOMException('The operation was aborted due to timeout', 'TimeoutError') }, now);
    assert.equal(timeout.kind, 'transient');
    assert.match((timeout as { error: string }).error, /^timeout/);
  });

  it('retries 5xx, 408, 429 and 1C 412 (DataVersion conflict)', () => {
    for (const status of [500, 502, 503, 504, 408, 429, 412]) {
      assert.equal(classifyOutcome({ status, body: 'x' }, now).kind, 'transient', String(status));
    }
  });

  it('honours Retry-After in seconds and as an HTTP-date', () => {
    const seconds = classifyOutcome({ status: 429, headers: { 'Retry-After': '120' } }, now);
    assert.equal(seconds.kind === 'transient' && seconds.retryAfterMs, 120_000);
    const date = classifyOutcome({ status: 503, headers: new Headers({ 'retry-after': new Date(now + 90_000).toUTCString() }) }, now);
    assert.equal(date.kind === 'transient' && date.retryAfterMs, 90_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
  });

  it('reads Telegram 429 retry_after from the body', () => {
    const r = classifyOutcome({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } } }, now);
    assert.equal(r.kind === 'transient' && r.retryAfterMs, 7000);
  });

  it('sends 1C business errors (500 with odata.error.code "-1") to a human', () => {
    const body = { 'odata.error': { code: '-1', message: { lang: 'ru', value: 'Не удалось провести документ: недостаточно товара' } } };
    const r = classifyOutcome({ status: 500, body }, now);
    assert.equal(r.kind, 'business');
    assert.match((r as { error: string }).error, /недостаточно товара/);
    // Any other 1C 500 is an outage.
    assert.equal(classifyOutcome({ status: 500, body: { 'odata.error': { code: '15', message: { value: 'lock' } } } }, now).kind, 'transient');
  });

  it('sends Bitrix business errors to a human, even with status 200', () => {
    const r = classifyOutcome({ status: 400, body: { error: 'ERROR_CORE', error_description: 'Не указан ответственный' } }, now);
    assert.deepEqual([r.kind, (r as { code?: string }).code], ['business', 'ERROR_CORE']);
    assert.equal(classifyOutcome({ status: 200, body: { error: 'ACCESS_DENIED', error_description: 'no' } }, now).kind, 'business');
    assert.equal(classifyOutcome({ status: 200, body: '{"error":"ERROR_CORE","error_description":"x"}' }, now).kind, 'business');
  });

  it('retries Bitrix24 QUERY_LIMIT_EXCEEDED (503) and other 4xx go to a human', () => {
    assert.equal(classifyOutcome({ status: 503, body: { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' } }, now).kind, 'transient');
    for (const status of [400, 401, 403, 404, 409, 422]) {
      assert.equal(classifyOutcome({ status, body: {} }, now).kind, 'business', String(status));
    }
  });
});
