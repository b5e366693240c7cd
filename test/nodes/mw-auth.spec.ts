import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import registerMwAuth from '../../nodes/mw-auth/mw-auth';
import { mwAuthMigrations, type MwAuthDef } from '../../nodes/mw-auth/config';
import registerMwConfig from '../../nodes/mw-config/mw-config';
import { createAuthRuntime, type AuthRuntime } from '../../src/auth/runtime';
import { migrateConfig } from '../../src/node-config/migrations';
import { httpMsg } from '../http/fake-response';
import { helper, testServices, useServices } from '../support/node-helper';
import { createTestDatabase } from '../support/postgres';

type Msg = Record<string, any>;

const KEYS_ENV = 'MW_AUTH_SPEC_API_KEYS';
const UT10 = 'ut10-integration-secret-0001';
const B24 = 'b24-integration-secret-00002';

/** Sends a message and resolves with the output it left on (1 or 2). */
function pass(msg: Msg, nodeId = 'auth'): Promise<{ port: 1 | 2; msg: Msg }> {
  return new Promise((resolve) => {
    const ok = helper.getNode('ok');
    const refused = helper.getNode('refused');
    const stop = (): void => {
      ok.removeListener('input', onOk);
      refused.removeListener('input', onRefused);
    };
    const onOk = (m: Msg): void => {
      stop();
      resolve({ port: 1, msg: m });
    };
    const onRefused = (m: Msg): void => {
      stop();
      resolve({ port: 2, msg: m });
    };
    ok.on('input', onOk);
    refused.on('input', onRefused);
    helper.getNode(nodeId).receive(msg);
  });
}

const flow = (config: Partial<MwAuthDef> = {}, extraWires: string[] = []) => [
  { id: 'tab', type: 'tab', label: 'auth' },
  { id: 'cfg', type: 'mw-config', name: 'mw', checkDatabase: true, version: 1 },
  { id: 'auth', z: 'tab', type: 'mw-auth', mwConfig: 'cfg', mode: 'user', telegramIdProperty: '', apiKeysEnv: KEYS_ENV, allowedKeys: '', version: 1, wires: [['ok', ...extraWires], ['refused']], ...config },
  { id: 'ok', z: 'tab', type: 'helper' },
  { id: 'copy', z: 'tab', type: 'helper' },
  { id: 'refused', z: 'tab', type: 'helper' },
  { id: 'c1', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', z: 'tab', type: 'helper' },
];

const bearer = (token: string) => httpMsg({}, { headers: { authorization: `Bearer ${token}` } });

describe('mw-auth node (PostgreSQL)', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  let dataDir: string;
  let runtime: AuthRuntime;

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_auth_node'));
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-auth-node-'));
    runtime = await createAuthRuntime({ db, dataDir, env: { TOKEN_ENCRYPTION_KEY: 'n'.repeat(48) } });
    process.env[KEYS_ENV] = `ut10:${UT10}, b24:${B24}`;
  });
  after(async () => {
    delete process.env[KEYS_ENV];
    await drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    useServices(testServices(db, { auth: runtime } as never));
    await db('user_links').delete();
  });
  afterEach(() => helper.unload());

  describe('mode user (middleware access token)', () => {
    it('sets msg.user with the decrypted shop token and msg.principal, without answering', async () => {
      await runtime.vault.linkUser({ telegramUserId: 4242, shopUserId: 1042, token: 'shop-jwt-4242' });
      const { access_token } = await runtime.sessions.issueSession(4242);
      await helper.load([registerMwConfig, registerMwAuth], flow());
      const { msg, res } = bearer(access_token);
      const out = await pass(msg);
      assert.equal(out.port, 1);
      assert.equal(out.msg.principal, 'tg:4242');
      assert.deepEqual([out.msg.user.telegramUserId, out.msg.user.linked, out.msg.user.shopUserId, out.msg.user.shopToken], [4242, true, '1042', 'shop-jwt-4242']);
      assert.equal(res.headersSent, false);
      const json = JSON.stringify(out.msg.user);
      assert.ok(!json.includes('shop-jwt-4242') && json.includes('[hidden]'), 'hidden from Debug, journal and JSON');
    });

    it('keeps the token when the message is cloned for several wires', async () => {
      await runtime.vault.linkUser({ telegramUserId: 4243, shopUserId: 1043, token: 'shop-jwt-4243' });
      const { access_token } = await runtime.sessions.issueSession(4243);
      await helper.load([registerMwConfig, registerMwAuth], flow({}, ['copy']));
      const copy = new Promise<Msg>((resolve) => helper.getNode('copy').once('input', resolve));
      const out = await pass(bearer(access_token).msg);
      const cloned = await copy;
      assert.notEqual(cloned.user, out.msg.user, 'a clone');
      assert.deepEqual([out.msg.user.shopToken, cloned.user.shopToken], ['shop-jwt-4243', 'shop-jwt-4243']);
      assert.ok(!JSON.stringify(cloned.user).includes('shop-jwt-4243'));
    });

    it('answers 401 without a token (output 2, principal by address)', async () => {
      await helper.load([registerMwConfig, registerMwAuth], flow());
      const { msg, res } = httpMsg({}, { headers: {} });
      const out = await pass(msg);
      assert.equal(out.port, 2);
      assert.equal(res.statusCode, 401);
      assert.match(res.headers['content-type'], /^application\/problem\+json/);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="api"');
      assert.equal(res.headers['x-correlation-id'], 'corr-1');
      assert.deepEqual([res.sent.code, res.sent.instance], ['UNAUTHORIZED', '/api/v1/queue/replay']);
      assert.match(String(res.sent.detail), /Authorization: Bearer/);
      assert.deepEqual(out.msg.problem, res.sent);
      assert.equal(out.msg.principal, 'ip:10.1.2.3');
      assert.equal(out.msg.user, undefined);
    });

    it('answers 401 invalid_token for unknown, revoked and expired tokens and a shop JWT', async () => {
      await runtime.vault.linkUser({ telegramUserId: 4244, shopUserId: 1044, token: 'shop-jwt-4244' });
      const revoked = (await runtime.sessions.issueSession(4244)).access_token;
      await runtime.sessions.revokeSession(revoked);
      const expired = (await runtime.sessions.issueSession(4244)).access_token;
      await db('api_sessions').update({ expires_at: new Date(Date.now() - 1000) });
      await helper.load([registerMwConfig, registerMwAuth], flow());
      for (const token of [revoked, expired, 'mwat_' + 'A'.repeat(43), 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig']) {
        const { msg, res } = bearer(token);
        const out = await pass(msg);
        assert.equal(out.port, 2, token);
        assert.equal(res.statusCode, 401);
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"');
        assert.match(String(res.sent.detail), /log in with Telegram again/);
      }
    });

    it('refuses messages that are not HTTP on output 2 without throwing', async () => {
      await helper.load([registerMwConfig, registerMwAuth], flow());
      const out = await pass({ payload: 'no request' });
      assert.deepEqual([out.port, out.msg.problem.status, out.msg.principal], [2, 401, 'anonymous']);
    });

    it('a database failure goes to a Catch node, not to a 401', async () => {
      const broken = knexFactory({
        client: 'pg',
        connection: 'postgres://nobody:nothing@127.0.0.1:1/none',
        pool: { min: 0, max: 1 },
        acquireConnectionTimeout: 2000,
        log: { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined },
      });
      try {
        const brokenRuntime = await createAuthRuntime({ db: broken, dataDir, env: { TOKEN_ENCRYPTION_KEY: 'n'.repeat(48) } });
        useServices(testServices(db, { auth: brokenRuntime } as never));
        await helper.load([registerMwConfig, registerMwAuth], flow());
        const caught = new Promise<Msg>((resolve) => helper.getNode('caught').once('input', resolve));
        const { msg, res } = bearer('mwat_' + 'B'.repeat(43));
        helper.getNode('auth').receive(msg);
        assert.ok((await caught).error);
        assert.equal(res.headersSent, false, 'mw-problem answers it');
      } finally {
        await broken.destroy();
      }
    });
  });

  describe('mode telegram (bot updates)', () => {
    const update = (from: number, chatId = from) => ({ payload: { chatId, type: 'message', content: '/order' }, originalMessage: { from: { id: from }, chat: { id: chatId } } });

    it('links the Telegram user with the shop token, or marks them unlinked, never refusing', async () => {
      await runtime.vault.linkUser({ telegramUserId: 5001, shopUserId: 2001, token: 'shop-jwt-5001' });
      await helper.load([registerMwConfig, registerMwAuth], flow({ mode: 'telegram' }));
      const linked = await pass(update(5001));
      assert.equal(linked.port, 1);
      assert.equal(linked.msg.principal, 'tg:5001');
      assert.deepEqual({ ...linked.msg.user }, { telegramUserId: 5001, linked: true, shopUserId: '2001', shopToken: 'shop-jwt-5001' });
      const unlinked = await pass(update(5002));
      assert.equal(unlinked.port, 1);
      assert.deepEqual({ ...unlinked.msg.user }, { telegramUserId: 5002, linked: false });
      assert.equal(unlinked.msg.principal, 'tg:5002');
    });

    it('finds the user in originalMessage.from, payload.from or a private payload.chatId, or a chosen property', async () => {
      await helper.load([registerMwConfig, registerMwAuth], flow({ mode: 'telegram' }));
      assert.equal((await pass({ payload: { chatId: 6001 } })).msg.principal, 'tg:6001');
      assert.equal((await pass({ payload: { chatId: -100123, from: { id: '6002' } } })).msg.principal, 'tg:6002');
      const group = await pass({ payload: { chatId: -100123 } });
      assert.deepEqual([group.port, group.msg.principal, group.msg.user.linked, group.msg.user.telegramUserId], [1, 'anonymous', false, undefined]);
      await helper.unload();
      await helper.load([registerMwConfig, registerMwAuth], flow({ mode: 'telegram', telegramIdProperty: 'payload.user.tg' }));
      assert.equal((await pass({ payload: { user: { tg: 6003 }, chatId: 1 } })).msg.principal, 'tg:6003');
      assert.equal((await pass({ payload: 'nothing' })).msg.principal, 'anonymous');
    });

    it('a lookup failure still passes as not linked (lookupFailed) with a warning', async () => {
      await runtime.vault.linkUser({ telegramUserId: 5003, shopUserId: 2003, token: 'shop-jwt-5003' });
      // A runtime with another key cannot open the stored token.
      const otherKey = await createAuthRuntime({ db, dataDir, env: { TOKEN_ENCRYPTION_KEY: 'o'.repeat(48) } });
      useServices(testServices(db, { auth: otherKey } as never));
      await helper.load([registerMwConfig, registerMwAuth], flow({ mode: 'telegram' }));
      const warned = new Promise<unknown[]>((resolve) => helper.getNode('auth').once('call:warn', (call: { args: unknown[] }) => resolve(call.args)));
      const out = await pass(update(5003));
      assert.equal(out.port, 1);
      assert.deepEqual({ ...out.msg.user }, { telegramUserId: 5003, linked: false, lookupFailed: true });
      assert.match(String((await warned)[0]), /mw-auth\.warn\.lookupFailed/);
    });
  });

  describe('mode api-key (integrations)', () => {
    it('accepts a named key in X-Api-Key or as a bearer token: principal key:<name>', async () => {
      await helper.load([registerMwConfig, registerMwAuth], flow({ mode: 'api-key' }));
      const a = await pass(httpMsg({}, { headers: { 'x-api-key': UT10 } }).msg);
      assert.deepEqual([a.port, a.msg.principal], [1, 'key:ut10']);
      const b = await pass(bearer(B24).msg);
      assert.deepEqual([b.port, b.msg.principal], [1, 'key:b24']);
    });

    it('answers 401 for a missing or wrong key, 403 for a key this node does not allow', async () => {
      await helper.load([registerMwConfig, registerMwAuth], flow({ mode: 'api-key', allowedKeys: 'ut10' }));
      const missing = httpMsg({}, { headers: {} });
      assert.equal((await pass(missing.msg)).port, 2);
      assert.deepEqual([missing.res.statusCode, missing.res.sent.code, missing.res.headers['www-authenticate']], [401, 'UNAUTHORIZED', 'Bearer realm="integrations"']);
      const wrong = httpMsg({}, { headers: { 'x-api-key': `${UT10}x` } });
      assert.equal((await pass(wrong.msg)).port, 2);
      assert.deepEqual([wrong.res.statusCode, wrong.res.sent.detail], [401, 'The API key is not valid.']);
      const other = httpMsg({}, { headers: { 'x-api-key': B24 } });
      const out = await pass(other.msg);
      assert.deepEqual([out.port, other.res.statusCode, other.res.sent.code, out.msg.principal], [2, 403, 'FORBIDDEN', 'ip:10.1.2.3']);
      assert.equal((await pass(httpMsg({}, { headers: { 'x-api-key': UT10 } }).msg)).port, 1);
    });

    it('refuses to run with a keys variable that is not an *_API_KEYS name', async () => {
      await helper.load([registerMwConfig, registerMwAuth], flow({ mode: 'api-key', apiKeysEnv: 'DATABASE_URL' }));
      const caught = new Promise<Msg>((resolve) => helper.getNode('caught').once('input', resolve));
      helper.getNode('auth').receive(httpMsg({}, { headers: { 'x-api-key': UT10 } }).msg);
      assert.match(String((await caught).error.message), /mw-auth\.errors\.badEnvName/);
    });
  });

  it('migrates an unversioned config to v1 defaults', () => {
    const c = migrateConfig<MwAuthDef>('mw-auth', { id: 'x', type: 'mw-auth', mode: 'bogus' }, mwAuthMigrations);
    assert.deepEqual([c.version, c.mode, c.apiKeysEnv, c.telegramIdProperty, c.allowedKeys], [1, 'user', 'INTEGRATION_API_KEYS', '', '']);
  });
});
