import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwJournal from '../../nodes/mw-journal/mw-journal';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';

type Msg = Record<string, any>;

function flow(journal: Record<string, unknown>): object[] {
  return [
    { id: 'cfg', type: 'mw-config', name: 'mw', version: 1 },
    { id: 'j', type: 'mw-journal', mwConfig: 'cfg', system: 'shop', operation: 'order.create', direction: 'out', bodyMode: 'masked', bodyProperty: 'payload', version: 1, wires: [['next']], ...journal },
    { id: 'next', type: 'helper' },
  ];
}

describe('mw-journal node', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ db, drop } = await createTestDatabase());
  });
  afterEach(async () => {
    await helper.unload();
    await drop();
  });

  async function run(journal: Record<string, unknown>, msgs: Msg[]): Promise<Msg[]> {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwJournal], flow(journal));
    const passed: Msg[] = [];
    helper.getNode('next').on('input', (m: Msg) => passed.push(m));
    for (const m of msgs) helper.getNode('j').receive(m);
    await new Promise((r) => setTimeout(r, 20));
    // Closing the flow (redeploy / shutdown) flushes the buffered records.
    await helper.unload();
    return passed;
  }

  it('journals the exchange with the masked body and passes the message on unchanged', async () => {
    const payload = { orderId: 'B-77', phone: '+79123456789', comment: 'доставить на ул. Ленина, д. 5, кв. 12, тел 8 912 345 67 89' };
    const passed = await run({}, [{ payload, statusCode: 201, req: { correlationId: 'corr-j1' }, durationMs: 120, attempt: 2 }]);
    assert.equal(passed.length, 1);
    assert.deepEqual(passed[0].payload, payload, 'the flow keeps the original');
    const rows = await db('integration_journal').select('*');
    assert.equal(rows.length, 1);
    const r = rows[0];
    assert.equal(r.correlation_id, 'corr-j1');
    assert.equal(r.system, 'shop');
    assert.equal(r.operation, 'order.create');
    assert.equal(r.direction, 'out');
    assert.equal(r.status, 'ok');
    assert.equal(r.http_status, 201);
    assert.equal(r.attempt, 2);
    assert.equal(r.duration_ms, 120);
    assert.equal(r.body.phone, '[скрыто]');
    assert.ok(!JSON.stringify(r.body).includes('Ленина') && !JSON.stringify(r.body).includes('345 67'));
    assert.match(r.body_sha256, /^[0-9a-f]{64}$/);
  });

  it('marks errors from catch nodes and problems, honours msg.journal overrides and body modes', async () => {
    await run({ bodyMode: 'hash', operation: '' }, [
      { topic: 'tasks.task.add', payload: { TITLE: 'x' }, error: { message: 'QUERY_LIMIT_EXCEEDED for +79123456789' }, correlationId: 'e1' },
      { topic: 'tasks.task.add', payload: 'x', statusCode: 503, correlationId: 'e2', journal: { status: 'retry', system: 'b24' } },
    ]);
    const rows = await db('integration_journal').select('*').orderBy('correlation_id');
    assert.equal(rows[0].status, 'error');
    assert.equal(rows[0].operation, 'tasks.task.add');
    assert.ok(rows[0].error.startsWith('QUERY_LIMIT_EXCEEDED') && !rows[0].error.includes('3456789'));
    assert.equal(rows[0].body, null, 'hash mode keeps no body');
    assert.match(rows[0].body_sha256, /^[0-9a-f]{64}$/);
    assert.equal(rows[1].status, 'retry');
    assert.equal(rows[1].system, 'b24');
    assert.equal(rows[1].http_status, 503);
  });

  it('keeps the flow going without a database', async () => {
    useServices(undefined as never);
    await helper.load([registerMwConfig, registerMwJournal], flow({ bodyMode: 'none' }));
    const passed: Msg[] = [];
    helper.getNode('next').on('input', (m: Msg) => passed.push(m));
    helper.getNode('j').receive({ payload: 1 });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(passed.length, 1);
  });
});
