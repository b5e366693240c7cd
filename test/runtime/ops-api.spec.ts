import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeJournal } from '../../src/journal';
import { enqueue } from '../../src/outbound';
import { bootRuntime, TEST_OPS_TOKEN, type TestRuntime } from '../support/runtime';

const auth = { authorization: `Bearer ${TEST_OPS_TOKEN}` };

describe('ops API and error format (real runtime)', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await bootRuntime();
  });

  it('serves /metrics to the ops token only', async () => {
    const anonymous = await fetch(`${rt.baseUrl}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const res = await fetch(`${rt.baseUrl}/metrics`, { headers: auth });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /http_request_duration_seconds_bucket/);
    assert.match(text, /process_resident_memory_bytes/);
  });

  it('answers unknown routes and bad JSON with problem+json, never HTML', async () => {
    const res = await fetch(`${rt.baseUrl}/api/v1/no-such-thing`, { headers: { 'x-correlation-id': 'corr-404-test' } });
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    const body = (await res.json()) as { code: string; correlation_id: string; status: number };
    assert.equal(body.code, 'ROUTE_NOT_FOUND');
    assert.equal(body.correlation_id, 'corr-404-test');
    assert.equal(res.headers.get('x-correlation-id'), 'corr-404-test');
  });

  it('publishes the OpenAPI 3.1 document with the ops operations', async () => {
    const doc = (await (await fetch(`${rt.baseUrl}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/v1/journal']);
    assert.ok(doc.paths['/api/v1/queue/{id}/replay']);
  });

  it('lists the queue and replays a dead letter once, behind the Idempotency-Key gate', async () => {
    const db = rt.mw.services.db;
    const { item } = await enqueue(db, { destination: 'b24', operation: 'tasks.task.add', payload: { TITLE: 'x' }, correlationId: 'c-replay' });
    // Walked to the end of the ladder elsewhere (test/outbound); here it is simply dead.
    await db('outbound_deliveries').where({ id: item.id }).update({ state: 'dead', dead_at: new Date(), attempt: 6, last_error: 'gave up' });

    const stats = (await (await fetch(`${rt.baseUrl}/api/v1/queue`, { headers: auth })).json()) as { stats: { destination: string; state: string; count: number }[] };
    assert.ok(stats.stats.some((s) => s.destination === 'b24' && s.state === 'dead' && s.count >= 1), JSON.stringify(stats));

    const url = `${rt.baseUrl}/api/v1/queue/${item.id}/replay`;
    const noKey = await fetch(url, { method: 'POST', headers: auth });
    assert.equal(noKey.status, 400);
    assert.equal(((await noKey.json()) as { code: string }).code, 'IDEMPOTENCY_KEY_MISSING');

    const key = randomUUID();
    const first = await fetch(url, { method: 'POST', headers: { ...auth, 'idempotency-key': key } });
    assert.equal(first.status, 200, await first.clone().text());
    assert.equal(((await first.json()) as { state: string }).state, 'pending');
    const again = await fetch(url, { method: 'POST', headers: { ...auth, 'idempotency-key': key } });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const otherKey = await fetch(url, { method: 'POST', headers: { ...auth, 'idempotency-key': randomUUID() } });
    assert.equal(otherKey.status, 409, 'a pending delivery is not replayable again');
  });

  it('pages the integration journal by correlation id', async () => {

    const correlationId = `corr-${randomUUID()}`;
    for (let i = 0; i < 3; i++) {
      await writeJournal(rt.mw.services.db, { correlationId, system: 'shop', operation: `op${i}`, direction: 'out', status: 'ok', attempt: 1, durationMs: 5, body: { phone: '+7 912 345-67-89' } } as never);
    }
    const page1 = (await (await fetch(`${rt.baseUrl}/api/v1/journal?correlation_id=${correlationId}&limit=2`, { headers: auth })).json()) as { items: { operation: string; body: unknown }[]; next_cursor: string | null };
    assert.equal(page1.items.length, 2);
    assert.ok(page1.next_cursor);
    assert.doesNotMatch(JSON.stringify(page1.items), /345-67-89/, 'personal data masked');
    const page2 = (await (await fetch(`${rt.baseUrl}/api/v1/journal?correlation_id=${correlationId}&limit=2&cursor=${encodeURIComponent(page1.next_cursor!)}`, { headers: auth })).json()) as { items: unknown[] };
    assert.equal(page2.items.length, 1);
    const bad = await fetch(`${rt.baseUrl}/api/v1/journal?since=yesterday`, { headers: auth });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { errors: { pointer: string }[] }).errors[0].pointer, '/query/since');
  });
});
