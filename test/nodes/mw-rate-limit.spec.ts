import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import registerMwRateLimit from '../../nodes/mw-rate-limit/mw-rate-limit';
import knexFactory from 'knex';
import { httpMsg } from '../http/fake-response';
import { helper, testServices, useServices } from '../support/node-helper';
import { createTestDatabase } from '../support/postgres';

type TestNode = ReturnType<typeof helper.getNode>;

function nextMessage(node: TestNode): Promise<Record<string, unknown>> {
  return new Promise((resolve) => node.once('input', resolve));
}

function nextCall(node: TestNode, method: 'status' | 'warn' | 'error'): Promise<unknown[]> {
  return new Promise((resolve) => node.once(`call:${method}`, (call: { args: unknown[] }) => resolve(call.args)));
}

/**
 * Sends a message and resolves with the output (1 or 2) it came out of. The listener of the
 * other output is removed again: Node-RED skips input handlers when one removes itself while
 * several are registered, so leftover once() listeners would swallow later messages.
 */
function pass(msg: Record<string, unknown>): Promise<{ port: 1 | 2; msg: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const allowed = helper.getNode('allowed');
    const refused = helper.getNode('refused');
    const stop = (): void => {
      allowed.removeListener('input', onAllowed);
      refused.removeListener('input', onRefused);
    };
    const onAllowed = (m: Record<string, unknown>): void => {
      stop();
      resolve({ port: 1, msg: m });
    };
    const onRefused = (m: Record<string, unknown>): void => {
      stop();
      resolve({ port: 2, msg: m });
    };
    allowed.on('input', onAllowed);
    refused.on('input', onRefused);
    helper.getNode('rl').receive(msg);
  });
}

const flow = (config: Record<string, unknown> = {}) => [
  { id: 'cfg', type: 'mw-config', name: 'mw', checkDatabase: true, version: 1 },
  {
    id: 'rl',
    type: 'mw-rate-limit',
    mwConfig: 'cfg',
    rate: 60,
    per: 'minute',
    burst: 2,
    principalType: 'ip',
    principal: '',
    keyPrefix: 'ip:',
    hashPrincipal: false,
    failOpen: true,
    version: 1,
    wires: [['allowed'], ['refused']],
    ...config,
  },
  { id: 'allowed', type: 'helper' },
  { id: 'refused', type: 'helper' },
];

describe('mw-rate-limit node (PostgreSQL)', () => {
  let db: Knex;
  let url: string;
  let drop: () => Promise<void>;
  before(async () => {
    ({ db, url, drop } = await createTestDatabase());
  });
  after(() => drop());
  beforeEach(async () => {
    useServices(testServices(db));
    await db('rate_limit_buckets').delete();
  });
  afterEach(() => helper.unload());

  it('lets the burst through with RateLimit headers, then answers 429 with Retry-After and output 2', async () => {
    await helper.load([registerMwConfig, registerMwRateLimit], flow());
    const first = httpMsg();
    const a = await pass(first.msg);
    assert.equal(a.port, 1);
    assert.deepEqual(
      [first.res.headers['ratelimit-limit'], first.res.headers['ratelimit-remaining'], first.res.headers['ratelimit-reset']],
      ['2', '1', '1'],
    );
    assert.equal(first.res.headersSent, false, 'the flow answers allowed requests itself');
    assert.equal((await pass(httpMsg().msg)).port, 1);

    const third = httpMsg();
    const status = nextCall(helper.getNode('rl'), 'status');
    const c = await pass(third.msg);
    assert.equal(c.port, 2);
    assert.equal(third.res.statusCode, 429);
    assert.match(third.res.headers['content-type'], /^application\/problem\+json/);
    assert.equal(third.res.headers['retry-after'], '1');
    assert.equal(third.res.headers['x-correlation-id'], 'corr-1');
    assert.deepEqual([third.res.sent.code, third.res.sent.retry_after], ['RATE_LIMITED', 1]);
    assert.deepEqual(c.msg.problem, third.res.sent);
    assert.deepEqual(
      [(c.msg.rateLimit as Record<string, unknown>).key, (c.msg.rateLimit as Record<string, unknown>).allowed],
      ['ip:10.1.2.3', false],
    );
    assert.deepEqual((await status)[0], { fill: 'yellow', shape: 'dot', text: '✓ 2  ✗ 1' });

    const other = httpMsg({}, { ip: '10.9.9.9' });
    assert.equal((await pass(other.msg)).port, 1, 'another address has its own bucket');
  });

  it('refills with time (real PostgreSQL clock)', async () => {
    // 2 per second: a token every 500 ms, so the refusal right after the burst is not racy.
    await helper.load([registerMwConfig, registerMwRateLimit], flow({ rate: 2, per: 'second', burst: 1 }));
    assert.equal((await pass(httpMsg().msg)).port, 1);
    assert.equal((await pass(httpMsg().msg)).port, 2);
    await new Promise((r) => setTimeout(r, 550));
    assert.equal((await pass(httpMsg().msg)).port, 1);
  });

  it('limits Telegram users by a msg property without an HTTP response, hashing when asked', async () => {
    await helper.load([registerMwConfig, registerMwRateLimit], flow({ principalType: 'msg', principal: 'payload.from.id', keyPrefix: 'tg:', burst: 1 }));
    const tg = (id: number) => ({ payload: { chatId: id, from: { id }, text: '/find дисплей' } });
    const a = await pass(tg(123));
    assert.equal((a.msg.rateLimit as { key: string }).key, 'tg:123');
    const b = await pass(tg(123));
    assert.equal(b.port, 2);
    assert.equal((b.msg.problem as { status: number }).status, 429, 'the flow can word its own polite reply');
    assert.equal((await pass(tg(456))).port, 1);
    assert.deepEqual((await db('rate_limit_buckets').orderBy('key').pluck('key')), ['tg:123', 'tg:456']);
  });

  it('stores only a hash of secret principals', async () => {
    await helper.load([registerMwConfig, registerMwRateLimit], flow({ principalType: 'msg', principal: 'req.headers.authorization', keyPrefix: 'token:', hashPrincipal: true }));
    const { msg } = httpMsg({}, { headers: { authorization: 'Bearer very-secret' } });
    await pass(msg);
    const [key] = (await db('rate_limit_buckets').pluck('key')) as string[];
    assert.match(key, /^token:sha256:/);
    assert.ok(!key.includes('secret'));
  });

  it('limits an HTTP caller without the principal by address, and fails other messages without one', async () => {
    await helper.load(
      [registerMwConfig, registerMwRateLimit],
      [
        { id: 'tab', type: 'tab', label: 'api' },
        ...flow({ principalType: 'msg', principal: 'req.headers.x-device-id', keyPrefix: 'device:' }).map((n) => ({ ...n, z: 'tab' })),
        { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
      ],
    );
    const device = await pass(httpMsg({}, { headers: { 'x-device-id': 'scanner-001' } }).msg);
    assert.equal((device.msg.rateLimit as { key: string }).key, 'device:scanner-001');
    const anonymous = await pass(httpMsg({}, { headers: {} }).msg);
    assert.equal((anonymous.msg.rateLimit as { key: string }).key, 'device:ip:10.1.2.3');
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('rl').receive({ payload: 'no principal here' });
    assert.match(String(((await caught).error as { message: string }).message), /mw-rate-limit\.errors\.noPrincipal/);
  });

  it('lets exactly the burst through when 50 messages race', async () => {
    await helper.load([registerMwConfig, registerMwRateLimit], flow({ burst: 10, rate: 1, per: 'hour' }));
    const allowed: unknown[] = [];
    const refused: unknown[] = [];
    helper.getNode('allowed').on('input', (m) => allowed.push(m));
    helper.getNode('refused').on('input', (m) => refused.push(m));
    for (let i = 0; i < 50; i++) helper.getNode('rl').receive(httpMsg().msg);
    const deadline = Date.now() + 10_000;
    while (allowed.length + refused.length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([allowed.length, refused.length], [10, 40]);
  });

  it('fails open on a database error by default, or to a Catch node when configured', async () => {
    // A pool on a database that does not exist; knex's own console warnings are silenced.
    const broken = knexFactory({
      client: 'pg',
      connection: url.replace(/\/[^/]*$/, '/no_such_database'),
      pool: { min: 0, max: 1 },
      log: { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined },
    });
    try {
      useServices(testServices(broken));
      await helper.load([registerMwConfig, registerMwRateLimit], flow());
      const warned = nextCall(helper.getNode('rl'), 'warn');
      const open = await pass(httpMsg().msg);
      assert.equal(open.port, 1);
      assert.deepEqual((open.msg.rateLimit as Record<string, unknown>).unchecked, true);
      assert.match(String((await warned)[0]), /mw-rate-limit\.warn\.failOpen/);
      await helper.unload();

      await helper.load(
        [registerMwConfig, registerMwRateLimit],
        [
          { id: 'tab', type: 'tab', label: 'api' },
          ...flow({ failOpen: false }).map((n) => ({ ...n, z: 'tab' })),
          { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
          { id: 'caught', z: 'tab', type: 'helper' },
        ],
      );
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('rl').receive(httpMsg().msg);
      assert.match(String(((await caught).error as { message: string }).message), /no_such_database/);
    } finally {
      await broken.destroy();
    }
  });

  it('refuses a nonsensical policy at deploy and fails its messages', async () => {
    await helper.load(
      [registerMwConfig, registerMwRateLimit],
      [
        { id: 'tab', type: 'tab', label: 'api' },
        ...flow({ burst: 0 }).map((n) => ({ ...n, z: 'tab' })),
        { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
      ],
    );
    const caught = nextMessage(helper.getNode('caught'));
    const { msg, res } = httpMsg();
    helper.getNode('rl').receive(msg);
    assert.match(String(((await caught).error as { message: string }).message), /burst must be ≥ 1/);
    assert.equal(res.headersSent, false);
  });
});
