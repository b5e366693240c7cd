import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import registerMwProblem from '../../nodes/mw-problem/mw-problem';
import registerMwValidate from '../../nodes/mw-validate/mw-validate';
import { ProblemError } from '../../src/http/problem';
import { httpMsg } from '../http/fake-response';
import { helper } from '../support/node-helper';

type TestNode = ReturnType<typeof helper.getNode>;

/** Resolves with the next message the node receives. */
function nextMessage(node: TestNode): Promise<Record<string, unknown>> {
  return new Promise((resolve) => node.once('input', resolve));
}

function lastCall(node: TestNode, method: 'status' | 'warn' | 'error'): Promise<unknown[]> {
  return new Promise((resolve) => node.once(`call:${method}`, (call: { args: unknown[] }) => resolve(call.args)));
}

const problemFlow = (config: Record<string, unknown> = {}) => [
  { id: 'p', type: 'mw-problem', name: '', defaultCode: 'INTERNAL', exposeMessages: false, version: 1, wires: [['out']], ...config },
  { id: 'out', type: 'helper' },
];

describe('mw-problem node', () => {
  afterEach(() => helper.unload());

  it('answers a caught error with a 500 problem that leaks nothing, and passes msg.problem on', async () => {
    await helper.load(registerMwProblem, problemFlow());
    const node = helper.getNode('p');
    const { msg, res } = httpMsg({ error: { message: 'Error: relation "orders" does not exist', source: { id: 'f1', type: 'function' } } });
    const received = nextMessage(helper.getNode('out'));
    const status = lastCall(node, 'status');
    node.receive(msg);
    const out = await received;
    assert.equal(res.statusCode, 500);
    assert.match(res.headers['content-type'], /^application\/problem\+json/);
    assert.equal(res.headers['x-correlation-id'], 'corr-1');
    assert.deepEqual([res.sent.code, res.sent.correlation_id, res.sent.instance], ['INTERNAL', 'corr-1', '/api/v1/queue/replay']);
    assert.ok(!res.body!.includes('orders'));
    assert.deepEqual(out.problem, res.sent);
    assert.deepEqual((await status)[0], { fill: 'red', shape: 'dot', text: '500 INTERNAL (1)' });
  });

  it('shows the error message only when configured to', async () => {
    await helper.load(registerMwProblem, problemFlow({ exposeMessages: true, defaultCode: 'UPSTREAM_BUSINESS_ERROR' }));
    const { msg, res } = httpMsg({ error: { message: 'TypeError: boom' } });
    const received = nextMessage(helper.getNode('out'));
    helper.getNode('p').receive(msg);
    await received;
    assert.deepEqual([res.statusCode, res.sent.code, res.sent.detail], [422, 'UPSTREAM_BUSINESS_ERROR', 'boom']);
  });

  it('sends the problem a flow put in msg.problem, with its status and extension members', async () => {
    await helper.load(registerMwProblem, problemFlow());
    const { msg, res } = httpMsg({ problem: { code: 'OUT_OF_STOCK', detail: 'only 2 left of SKU LCD-IP11', available: 2, status: 200 } });
    const received = nextMessage(helper.getNode('out'));
    helper.getNode('p').receive(msg);
    await received;
    assert.equal(res.statusCode, 409);
    assert.deepEqual([res.sent.code, res.sent.status, res.sent.detail, res.sent.available], ['OUT_OF_STOCK', 409, 'only 2 left of SKU LCD-IP11', 2]);
  });

  it('warns about a code the catalogue lacks and answers INTERNAL', async () => {
    await helper.load(registerMwProblem, problemFlow());
    const node = helper.getNode('p');
    const { msg, res } = httpMsg({ problem: { code: 'OUT_OF_STONK' } });
    const warned = lastCall(node, 'warn');
    node.receive(msg);
    assert.match(String((await warned)[0]), /mw-problem\.warn\.unknownCode/);
    assert.equal(res.statusCode, 500);
  });

  it('only sets msg.problem when there is no HTTP response (Telegram, MQTT flows)', async () => {
    await helper.load(registerMwProblem, problemFlow({ defaultCode: 'UPSTREAM_UNAVAILABLE' }));
    const received = nextMessage(helper.getNode('out'));
    helper.getNode('p').receive({ payload: 'дисплей айфон 11', correlationId: 'tg-77' });
    const out = await received;
    assert.deepEqual([(out.problem as Record<string, unknown>).code, (out.problem as Record<string, unknown>).correlation_id], ['UPSTREAM_UNAVAILABLE', 'tg-77']);
  });

  it('does not answer twice when the response was already sent', async () => {
    await helper.load(registerMwProblem, problemFlow());
    const node = helper.getNode('p');
    const { msg, res } = httpMsg({ problem: { code: 'NOT_FOUND' } });
    res.status(200).send('{"ok":true}');
    const warned = lastCall(node, 'warn');
    node.receive(msg);
    assert.match(String((await warned)[0]), /mw-problem\.warn\.alreadySent/);
    assert.equal(res.statusCode, 200);
  });

  it('turns an error thrown in a flow into its problem through a Catch node', async () => {
    // mw-validate with a contract that does not exist fails each message with done(err).
    await helper.load(
      [registerMwValidate, registerMwProblem],
      [
        { id: 'tab', type: 'tab', label: 'api' },
        { id: 'v', z: 'tab', type: 'mw-validate', schema: 'no-such-contract', property: 'payload', version: 1, wires: [[], []] },
        { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['p']] },
        { id: 'p', z: 'tab', type: 'mw-problem', defaultCode: 'INTERNAL', exposeMessages: false, version: 1, wires: [['out']] },
        { id: 'out', z: 'tab', type: 'helper' },
      ],
    );
    const { msg, res } = httpMsg({ payload: {} });
    const received = nextMessage(helper.getNode('out'));
    helper.getNode('v').receive(msg);
    const out = await received;
    assert.equal(res.statusCode, 500);
    assert.equal(res.sent.correlation_id, 'corr-1');
    assert.equal(((out.error as Record<string, unknown>).source as Record<string, unknown>).id, 'v');
  });

  it('keeps the code of a ProblemError passed to done() upstream', async () => {
    await helper.load(
      [registerMwProblem, thrower],
      [
        { id: 'tab', type: 'tab', label: 'api' },
        { id: 't', z: 'tab', type: 'test-thrower', wires: [] },
        { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['p']] },
        { id: 'p', z: 'tab', type: 'mw-problem', defaultCode: 'INTERNAL', exposeMessages: false, version: 1, wires: [['out']] },
        { id: 'out', z: 'tab', type: 'helper' },
      ],
    );
    const { msg, res } = httpMsg();
    const received = nextMessage(helper.getNode('out'));
    helper.getNode('t').receive(msg);
    await received;
    assert.deepEqual([res.statusCode, res.sent.code, res.sent.detail], [409, 'OUT_OF_STOCK', 'only 1 left']);
  });

  it('migrates an unversioned config', async () => {
    await helper.load(registerMwProblem, [{ id: 'p', type: 'mw-problem', wires: [['out']] }, { id: 'out', type: 'helper' }]);
    const { msg, res } = httpMsg({ error: { message: 'x' } });
    const received = nextMessage(helper.getNode('out'));
    helper.getNode('p').receive(msg);
    await received;
    assert.deepEqual([res.statusCode, res.sent.detail === 'x'], [500, false]);
  });
});

/** A node that fails each message the way a business node of ours does: done(new ProblemError(…)). */
function thrower(RED: Parameters<typeof registerMwProblem>[0]): void {
  RED.nodes.registerType('test-thrower', function (this: Node, def: object) {
    RED.nodes.createNode(this, def as never);
    this.on('input', (_msg: unknown, _send: unknown, done: (err?: Error) => void) => done(new ProblemError('OUT_OF_STOCK', 'only 1 left')));
  } as never);
}
