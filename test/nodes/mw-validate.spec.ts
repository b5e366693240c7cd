import assert from 'node:assert/strict';
import registerMwValidate from '../../nodes/mw-validate/mw-validate';
import { validate } from '../../src/validation';
import { httpMsg } from '../http/fake-response';
import { helper } from '../support/node-helper';

type TestNode = ReturnType<typeof helper.getNode>;

function nextMessage(node: TestNode): Promise<Record<string, unknown>> {
  return new Promise((resolve) => node.once('input', resolve));
}

function nextCall(node: TestNode, method: 'status' | 'error'): Promise<unknown[]> {
  return new Promise((resolve) => node.once(`call:${method}`, (call: { args: unknown[] }) => resolve(call.args)));
}

const flow = (config: Record<string, unknown> = {}) => [
  { id: 'v', type: 'mw-validate', name: '', schema: 'queue-replay', property: 'payload', version: 1, wires: [['valid'], ['invalid']], ...config },
  { id: 'valid', type: 'helper' },
  { id: 'invalid', type: 'helper' },
];

describe('mw-validate node', () => {
  afterEach(() => helper.unload());

  it('passes a valid payload on output 1 untouched', async () => {
    await helper.load(registerMwValidate, flow());
    const { msg, res } = httpMsg({ payload: { ids: [1, 2], reason: 'B24 was down' } });
    const valid = nextMessage(helper.getNode('valid'));
    const status = nextCall(helper.getNode('v'), 'status');
    helper.getNode('v').receive(msg);
    const out = await valid;
    assert.deepEqual(out.payload, { ids: [1, 2], reason: 'B24 was down' });
    assert.equal(out.problem, undefined);
    assert.equal(res.headersSent, false, 'the flow answers valid requests itself');
    assert.deepEqual((await status)[0], { fill: 'green', shape: 'dot', text: '✓ 1  ✗ 0' });
  });

  it('answers an invalid payload with 400 VALIDATION_FAILED listing the pointers, and emits on output 2', async () => {
    await helper.load(registerMwValidate, flow());
    const { msg, res } = httpMsg({ payload: { ids: [0], since: 'yesterday' } });
    const invalid = nextMessage(helper.getNode('invalid'));
    const status = nextCall(helper.getNode('v'), 'status');
    helper.getNode('v').receive(msg);
    const out = await invalid;
    assert.equal(res.statusCode, 400);
    assert.match(res.headers['content-type'], /^application\/problem\+json/);
    assert.equal(res.headers['x-correlation-id'], 'corr-1');
    assert.equal(res.sent.code, 'VALIDATION_FAILED');
    assert.equal(res.sent.instance, '/api/v1/queue/replay');
    assert.deepEqual(res.sent.errors, [
      { pointer: '/reason', message: 'is required' },
      { pointer: '/ids/0', message: 'must be >= 1' },
      { pointer: '/since', message: 'must match format "date-time"' },
    ]);
    assert.deepEqual(out.problem, res.sent);
    assert.deepEqual(validate('problem', res.sent), { ok: true }, 'the answer follows the Problem contract');
    assert.deepEqual((await status)[0], { fill: 'yellow', shape: 'dot', text: '✓ 0  ✗ 1' });
  });

  it('validates another property and works without an HTTP response', async () => {
    await helper.load(registerMwValidate, flow({ property: 'replay.request' }));
    const invalid = nextMessage(helper.getNode('invalid'));
    helper.getNode('v').receive({ replay: { request: { destination: 'b24' } } });
    const out = await invalid;
    assert.deepEqual((out.problem as { errors: unknown[] }).errors, [{ pointer: '/reason', message: 'is required' }]);
    const valid = nextMessage(helper.getNode('valid'));
    helper.getNode('v').receive({ replay: { request: { destination: 'b24', reason: 'outage' } } });
    await valid;
  });

  it('counts valid and invalid messages in its status', async () => {
    await helper.load(registerMwValidate, flow());
    const node = helper.getNode('v');
    for (const payload of [{ ids: [1], reason: 'abc' }, {}, { ids: [2], reason: 'abc' }]) {
      const status = nextCall(node, 'status');
      node.receive({ payload });
      await status;
    }
    const status = nextCall(node, 'status');
    node.receive({ payload: { ids: [3], reason: 'abc' } });
    assert.equal(((await status)[0] as { text: string }).text, '✓ 3  ✗ 1');
  });

  it('reports an unknown contract at deploy and fails each message to a Catch node', async () => {
    await helper.load(registerMwValidate, [
      { id: 'tab', type: 'tab', label: 'api' },
      { id: 'v', z: 'tab', type: 'mw-validate', schema: 'queue-replayy', property: 'payload', version: 1, wires: [['valid'], ['invalid']] },
      { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'valid', z: 'tab', type: 'helper' },
      { id: 'invalid', z: 'tab', type: 'helper' },
      { id: 'caught', z: 'tab', type: 'helper' },
    ]);
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('v').receive({ payload: {} });
    const out = await caught;
    assert.match(String((out.error as { message: string }).message), /mw-validate\.errors\.unknownSchema/);
  });

  it('accepts the full $id and migrates an unversioned config (property defaults to payload)', async () => {
    await helper.load(registerMwValidate, [
      { id: 'v', type: 'mw-validate', schema: 'https://spareparts-mw.example/schemas/queue-replay.json', wires: [['valid'], ['invalid']] },
      { id: 'valid', type: 'helper' },
      { id: 'invalid', type: 'helper' },
    ]);
    const valid = nextMessage(helper.getNode('valid'));
    helper.getNode('v').receive({ payload: { states: ['dead'], reason: 'again' } });
    await valid;
  });

  it('lists the contracts for the editor', async () => {
    await helper.load(registerMwValidate, flow());
    const app = (helper as unknown as { _httpAdmin: import('express').Express })._httpAdmin;
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const names = (await (await fetch(`http://127.0.0.1:${port}/mw-validate/schemas`)).json()) as string[];
      assert.ok(names.includes('queue-replay') && names.includes('common'));
    } finally {
      server.close();
    }
  });
});
