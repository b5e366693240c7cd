import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwOutbound from '../../nodes/mw-outbound/mw-outbound';
import { outboundBus } from '../../src/outbound/bus';
import { getDelivery } from '../../src/outbound/admin';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';

type Msg = Record<string, unknown> & { outbound?: { id: number; created: boolean; destination: string; operation: string; idempotencyKey: string | null } };

describe('mw-outbound node', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_test_outnode'));
  });
  after(() => drop());
  afterEach(() => helper.unload());

  const flow = (node: Record<string, unknown> = {}): object[] => [
    { id: 'c1', type: 'mw-config', name: 'mw', version: 1 },
    { id: 'o1', type: 'mw-outbound', mwConfig: 'c1', destination: 'b24', operation: 'tasks.task.add', keyProperty: 'idempotencyKey', version: 1, wires: [['h1']], ...node },
    { id: 'h1', type: 'helper' },
  ];

  function nextMessage(id: string): Promise<Msg> {
    return new Promise((resolve) => helper.getNode(id).once('input', (msg: Msg) => resolve(msg)));
  }

  it('queues msg.payload and passes the message on with the queued id', async () => {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwOutbound], flow());
    const woken: string[] = [];
    const onEnqueued = (e: { destination: string }): void => void woken.push(e.destination);
    outboundBus().on('enqueued', onEnqueued);
    try {
      const out = nextMessage('h1');
      helper.getNode('o1').receive({ payload: { fields: { TITLE: 'Заказ 17' } }, correlationId: 'corr-17' });
      const msg = await out;
      assert.equal(msg.outbound?.created, true);
      assert.deepEqual(msg.payload, { fields: { TITLE: 'Заказ 17' } }, 'payload untouched');
      const row = await getDelivery(db, msg.outbound!.id);
      assert.deepEqual([row?.destination, row?.operation, row?.state, row?.correlationId], ['b24', 'tasks.task.add', 'pending', 'corr-17']);
      assert.deepEqual(woken, ['b24'], 'workers in this process are woken');
    } finally {
      outboundBus().off('enqueued', onEnqueued);
    }
  });

  it('queues one item per idempotency key and says so in the status', async () => {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwOutbound], flow());
    const node = helper.getNode('o1');
    const statuses: { text?: string; fill?: string }[] = [];
    node.on('call:status', (call: { args: [{ text?: string; fill?: string }] }) => statuses.push(call.args[0]));
    const first = nextMessage('h1');
    node.receive({ payload: { n: 1 }, idempotencyKey: 'order-17' });
    const a = await first;
    const second = nextMessage('h1');
    node.receive({ payload: { n: 1 }, idempotencyKey: 'order-17' });
    const b = await second;
    assert.equal(a.outbound?.id, b.outbound?.id);
    assert.deepEqual([a.outbound?.created, b.outbound?.created], [true, false]);
    assert.equal(a.outbound?.idempotencyKey, 'b24/tasks.task.add/order-17');
    assert.equal(statuses.at(-1)?.fill, 'yellow');
  });

  it('takes destination and operation from the message when the node leaves them empty', async () => {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwOutbound], flow({ destination: '', operation: '' }));
    const out = nextMessage('h1');
    helper.getNode('o1').receive({ payload: [1, 2], destination: 'ut11', topic: 'Document_ЗаказКлиента' });
    const msg = await out;
    assert.deepEqual([msg.outbound?.destination, msg.outbound?.operation], ['ut11', 'Document_ЗаказКлиента']);
  });

  it('reports a message it cannot queue through done(err), for Catch nodes', async () => {
    useServices(testServices(db));
    await helper.load([registerMwConfig, registerMwOutbound], flow({ destination: '' }));
    const node = helper.getNode('o1');
    const error = new Promise<unknown[]>((resolve) => node.once('call:error', (call: { args: unknown[] }) => resolve(call.args)));
    node.receive({ payload: { x: 1 } });
    const [err, msg] = await error;
    assert.match(String(err), /no destination/);
    assert.ok(msg, 'the message is attached, so a Catch node receives it');
  });
});
