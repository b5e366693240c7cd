import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { hashSessionToken, isSessionTokenShape, pruneExpiredSessions, SessionStore } from '../../src/auth/session';
import { TokenKeyRing } from '../../src/auth/token-keys';
import { TokenVault } from '../../src/auth/token-vault';
import { createTestDatabase } from '../support/postgres';

const T0 = new Date('2026-11-26T12:00:00.000Z');

describe('API sessions (api_sessions, PostgreSQL)', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  let nowMs: number;
  const now = () => new Date(nowMs);

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_auth_session'));
    const vault = new TokenVault(db, TokenKeyRing.parse('k'.repeat(40)));
    for (const id of [111, 222]) await vault.linkUser({ telegramUserId: id, shopUserId: id, token: `token-${id}`, expiresAt: null });
  });
  after(() => drop());
  beforeEach(async () => {
    nowMs = T0.getTime();
    await db('api_sessions').delete();
  });

  it('issues an opaque bearer token that maps to the Telegram user; only its hash is stored', async () => {
    const sessions = new SessionStore(db, { now, ttlSeconds: 3600 });
    const issued = await sessions.issueSession(111);
    assert.equal(issued.token_type, 'Bearer');
    assert.equal(issued.expires_in, 3600);
    assert.equal(issued.expires_at, new Date(T0.getTime() + 3_600_000).toISOString());
    assert.ok(isSessionTokenShape(issued.access_token));
    assert.deepEqual(await sessions.verifySession(issued.access_token), { telegramUserId: 111, expiresAt: new Date(T0.getTime() + 3_600_000) });
    const rows = await db('api_sessions').select();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].token_hash, hashSessionToken(issued.access_token));
    assert.ok(!JSON.stringify(rows).includes(issued.access_token.slice(5)));
    const other = await sessions.issueSession(111);
    assert.notEqual(other.access_token, issued.access_token, 'every login gets its own token');
  });

  it('expires: valid until expires_at, then refused; prune deletes what expired', async () => {
    const sessions = new SessionStore(db, { now, ttlSeconds: 600 });
    const a = await sessions.issueSession(111);
    nowMs += 300_000;
    const b = await sessions.issueSession(222);
    nowMs = T0.getTime() + 599_000;
    assert.ok(await sessions.verifySession(a.access_token));
    nowMs = T0.getTime() + 600_000;
    assert.equal(await sessions.verifySession(a.access_token), undefined);
    assert.ok(await sessions.verifySession(b.access_token));
    assert.equal(await pruneExpiredSessions(db, now()), 1);
    assert.equal(await pruneExpiredSessions(db, now()), 0);
    assert.ok(await sessions.verifySession(b.access_token));
  });

  it('never outlives the shop token it stands for', async () => {
    const sessions = new SessionStore(db, { now, ttlSeconds: 7 * 86_400 });
    const issued = await sessions.issueSession(111, { notAfter: new Date(T0.getTime() + 120_000) });
    assert.equal(issued.expires_in, 120);
    await assert.rejects(sessions.issueSession(111, { notAfter: new Date(T0.getTime() - 1) }), RangeError);
  });

  it('refuses unknown, tampered and malformed tokens without a query, and users who are not linked', async () => {
    const sessions = new SessionStore(db, { now });
    const issued = await sessions.issueSession(111);
    const last = issued.access_token.at(-1) === 'A' ? 'B' : 'A';
    for (const bad of [`${issued.access_token.slice(0, -1)}${last}`, issued.access_token.slice(5), '', 'mwat_short', `${issued.access_token}x`, 'eyJhbGciOi.x.y']) {
      assert.equal(await sessions.verifySession(bad), undefined, bad);
    }
    await assert.rejects(sessions.issueSession(999), /api_sessions_telegram_user_id_foreign/);
  });

  it('logout revokes one token at once; revokeAll ends every session of the user', async () => {
    const sessions = new SessionStore(db, { now });
    const a = await sessions.issueSession(111);
    const b = await sessions.issueSession(111);
    const c = await sessions.issueSession(222);
    assert.equal(await sessions.revokeSession(a.access_token), true);
    assert.equal(await sessions.revokeSession(a.access_token), false);
    assert.equal(await sessions.revokeSession('garbage'), false);
    assert.equal(await sessions.verifySession(a.access_token), undefined);
    assert.ok(await sessions.verifySession(b.access_token));
    assert.equal(await sessions.revokeAll(111), 1);
    assert.equal(await sessions.verifySession(b.access_token), undefined);
    assert.ok(await sessions.verifySession(c.access_token));
  });

  it('refuses a TTL under a minute', () => {
    assert.throws(() => new SessionStore(db, { ttlSeconds: 10 }), RangeError);
  });
});
