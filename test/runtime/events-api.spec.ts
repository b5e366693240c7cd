import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { bootRuntime, TEST_OPS_TOKEN, TEST_UT10_KEY, type TestRuntime } from '../support/runtime';

type Problem = { code: string; status: number; errors?: { pointer: string; message: string }[]; correlation_id?: string };

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source: 'ut10',
    object_type: 'Document_ЗаказПокупателя',
    object_guid: randomUUID(),
    version: 'AAAAAgAAAAA=',
    message_no: 17,
    changed_at: '2026-11-26T10:15:00+03:00',
    data: { Номер: 'ЗП-000123', Контрагент: 'Иванов Иван', Телефон: '+7 912 345-67-89' },
    ...overrides,
  };
}

describe('POST /api/v1/events (flow «API: события 1С»)', () => {
  let rt: TestRuntime;
  let url: string;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_UT10_KEY, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  before(async () => {
    rt = await bootRuntime();
    url = `${rt.baseUrl}/api/v1/events`;
  });

  it('refuses a caller without the integration key', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify(event()) });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as Problem).code, 'UNAUTHORIZED');
  });

  it('requires an Idempotency-Key', async () => {
    const res = await post(event());
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as Problem).code, 'IDEMPOTENCY_KEY_MISSING');
  });

  it('answers malformed JSON and contract violations with problem+json and JSON pointers', async () => {
    const malformed = await post('{"source": "ut10",', { 'idempotency-key': randomUUID() });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as Problem).code, 'MALFORMED_JSON');

    const invalid = await post(event({ object_guid: 'not-a-guid', source: 'ut9' }), { 'idempotency-key': randomUUID() });
    assert.equal(invalid.status, 400);
    const problem = (await invalid.json()) as Problem;
    assert.equal(problem.code, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors?.map((e) => e.pointer).sort(), ['/object_guid', '/source']);
  });

  it('queues the change once and replays the first answer for a retried key', async () => {
    const key = randomUUID();
    const body = event();
    const first = await post(body, { 'idempotency-key': key, 'x-correlation-id': `ev-${key}` });
    assert.equal(first.status, 202, await first.clone().text());
    const answer = (await first.json()) as { accepted: boolean; delivery_id: number };
    assert.equal(answer.accepted, true);
    assert.ok(answer.delivery_id > 0);

    const retry = await post(body, { 'idempotency-key': key });
    assert.equal(retry.status, 202);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await retry.json(), answer);

    const reused = await post(event(), { 'idempotency-key': key });
    assert.equal(reused.status, 422);
    const scrape = await (await fetch(`${rt.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).text();
    assert.match(scrape, /idempotency_replays_total [1-9]/, 'the replay is counted');
    assert.match(scrape, /idempotency_conflicts_total\{status="422"\} [1-9]/, 'the key reuse is counted');
    assert.equal(((await reused.json()) as Problem).code, 'IDEMPOTENCY_KEY_REUSED');

    const rows = await rt.mw.services.db('outbound_deliveries').where({ destination: 'ut11' }).whereRaw(`payload->>'object_guid' = ?`, [body.object_guid as string]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].correlation_id, `ev-${key}`);

    // The exchange is in the journal, with personal data masked.
    let journal: { items: { system: string; body: unknown }[] } = { items: [] };
    for (let i = 0; i < 20 && journal.items.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 150)); // the journal writer batches
      journal = (await (await fetch(`${rt.baseUrl}/api/v1/journal?correlation_id=ev-${key}`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).json()) as typeof journal;
    }
    assert.equal(journal.items.length, 1);
    assert.equal(journal.items[0].system, 'ut10');
    assert.doesNotMatch(JSON.stringify(journal.items[0].body), /345-67-89|Иванов Иван/);
  });
});
