import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import type { Knex } from 'knex';
import { MsgUser } from '../../src/auth/msg-user';
import { AUTH_HOUSEKEEPING_JOBS, authRuntimeFor, createAuthRuntime, loadAuthSettings, type AuthRuntime } from '../../src/auth/runtime';
import { TOKEN_KEY_FILE } from '../../src/auth/token-keys';
import { StartupError } from '../../src/errors';
import { testServices } from '../support/node-helper';
import { createTestDatabase } from '../support/postgres';

const KEY = 'r'.repeat(48);
const T0 = new Date('2026-11-26T12:00:00.000Z');

describe('auth runtime', () => {
  describe('settings from the environment', () => {
    it('has defaults', () => {
      assert.deepEqual(loadAuthSettings({}), {
        tokenEncryptionKey: undefined,
        sessionTtlSeconds: 7 * 86_400,
        telegramLoginMaxAgeSeconds: 86_400,
        botToken: undefined,
        integrationApiKeys: undefined,
      });
    });

    it('reads durations with units and checks every value', () => {
      const s = loadAuthSettings({ AUTH_SESSION_TTL: '12h', TELEGRAM_LOGIN_MAX_AGE: '3600', TOKEN_ENCRYPTION_KEY: ` ${KEY} `, TELEGRAM_BOT_TOKEN: '1:abc', INTEGRATION_API_KEYS: 'ut10:0123456789abcdef' });
      assert.deepEqual([s.sessionTtlSeconds, s.telegramLoginMaxAgeSeconds, s.tokenEncryptionKey, s.botToken], [43_200, 3600, KEY, '1:abc']);
      assert.equal(loadAuthSettings({ AUTH_SESSION_TTL: '30d' }).sessionTtlSeconds, 30 * 86_400);
      for (const env of [{ AUTH_SESSION_TTL: 'week' }, { AUTH_SESSION_TTL: '10' }, { AUTH_SESSION_TTL: '365d' }, { TELEGRAM_LOGIN_MAX_AGE: '2d' }, { INTEGRATION_API_KEYS: 'nocolon' }]) {
        assert.throws(() => loadAuthSettings(env), StartupError, JSON.stringify(env));
      }
    });
  });

  describe('with PostgreSQL', () => {
    let db: Knex;
    let drop: () => Promise<void>;
    let dataDir: string;
    let runtime: AuthRuntime;
    let nowMs = T0.getTime();
    const now = () => new Date(nowMs);

    before(async () => {
      ({ db, drop } = await createTestDatabase('mw_auth_runtime'));
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-auth-runtime-'));
      runtime = await createAuthRuntime({ db, dataDir, env: { TOKEN_ENCRYPTION_KEY: KEY, AUTH_SESSION_TTL: '1h' }, now });
    });
    after(async () => {
      await drop();
      await rm(dataDir, { recursive: true, force: true });
    });
    beforeEach(async () => {
      nowMs = T0.getTime();
      await db('user_links').delete();
    });

    it('authenticates a session to the user with the decrypted shop token, in one lookup', async () => {
      await runtime.vault.linkUser({ telegramUserId: 555, shopUserId: 1005, token: 'shop-token-555', expiresAt: new Date(T0.getTime() + 2 * 3_600_000) });
      const { access_token } = await runtime.sessions.issueSession(555);
      const user = await runtime.authenticateSession(access_token);
      assert.ok(user instanceof MsgUser);
      assert.deepEqual({ ...user }, { telegramUserId: 555, linked: true, shopUserId: '1005', shopToken: 'shop-token-555' });
      assert.equal(await runtime.authenticateSession('mwat_' + 'x'.repeat(43)), undefined);
      assert.equal(await runtime.authenticateSession('junk'), undefined);
      nowMs += 3_600_000;
      assert.equal(await runtime.authenticateSession(access_token), undefined, 'the session expired (1 h)');
    });

    it('a session whose shop token expired no longer authenticates', async () => {
      await runtime.vault.linkUser({ telegramUserId: 556, shopUserId: 1006, token: 'shop-token-556', expiresAt: new Date(T0.getTime() + 3_600_000) });
      const { access_token } = await runtime.sessions.issueSession(556);
      await db('user_links').update({ token_expires_at: new Date(T0.getTime() + 30_000) });
      assert.equal(await runtime.authenticateSession(access_token), undefined);
    });

    it('resolves Telegram users: linked with the token, or not linked', async () => {
      await runtime.vault.linkUser({ telegramUserId: 557, shopUserId: 1007, token: 'shop-token-557' });
      assert.deepEqual({ ...(await runtime.telegramUser(557)) }, { telegramUserId: 557, linked: true, shopUserId: '1007', shopToken: 'shop-token-557' });
      assert.deepEqual({ ...(await runtime.telegramUser(558)) }, { telegramUserId: 558, linked: false });
    });

    it('msg.user hides the shop token from JSON, util.inspect and logs', async () => {
      const user = new MsgUser({ telegramUserId: 1, linked: true, shopUserId: '2', shopToken: 'secret-shop-token' });
      assert.equal(user.shopToken, 'secret-shop-token');
      assert.equal(JSON.stringify({ user }), '{"user":{"telegramUserId":1,"linked":true,"shopUserId":"2","shopToken":"[hidden]"}}');
      assert.ok(!inspect(user).includes('secret-shop-token'));
    });

    it('nodes get services.auth when the entry point provides it, else one built from the environment', async () => {
      const provided = testServices(db, { auth: runtime } as never);
      assert.equal(await authRuntimeFor(provided), runtime);
      const services = testServices(db, { config: { ...testServices(db).config, dataDir } });
      const saved = process.env.TOKEN_ENCRYPTION_KEY;
      delete process.env.TOKEN_ENCRYPTION_KEY;
      try {
        const built = await authRuntimeFor(services);
        assert.equal(await authRuntimeFor(services), built, 'built once per services object');
        assert.notEqual(built, runtime);
        // Development: the generated key file under the data folder.
        const { readFile } = await import('node:fs/promises');
        assert.match((await readFile(path.join(dataDir, TOKEN_KEY_FILE), 'utf8')).trim(), /^[0-9a-f]{64}$/);
      } finally {
        if (saved !== undefined) process.env.TOKEN_ENCRYPTION_KEY = saved;
      }
      const production = testServices(db, { config: { ...testServices(db).config, env: 'production', dataDir } });
      await assert.rejects(authRuntimeFor(production), /TOKEN_ENCRYPTION_KEY is not set/);
    });

    it('housekeeping prunes expired sessions', async () => {
      await runtime.vault.linkUser({ telegramUserId: 559, shopUserId: 1, token: 't' });
      await runtime.sessions.issueSession(559);
      const [job] = AUTH_HOUSEKEEPING_JOBS;
      assert.equal(await job.run(db, new Date(T0.getTime() + 2 * 3_600_000)), 1);
    });
  });
});
