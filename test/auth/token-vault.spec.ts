import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { signJwt } from '../../sandbox/shop';
import { SessionStore } from '../../src/auth/session';
import { derivedKeyId, keyIdOf, TokenDecryptError, TokenKeyRing } from '../../src/auth/token-keys';
import { jwtExpiry, TokenVault } from '../../src/auth/token-vault';
import { createTestDatabase } from '../support/postgres';

const KEY_A = 'A'.repeat(40) + '-token-vault-spec';
const KEY_B = 'B'.repeat(40) + '-token-vault-spec';
const T0 = new Date('2026-11-26T12:00:00.000Z');
const T0_S = T0.getTime() / 1000;

function shopJwt(sub: string, tg: number, expSeconds = T0_S + 30 * 86_400): string {
  return signJwt({ iss: 'shop-sandbox', sub, tg, iat: T0_S, exp: expSeconds }, 'shop-secret');
}

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('token vault (user_links, PostgreSQL)', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  let nowMs: number;
  const now = () => new Date(nowMs);
  const vaultWith = (spec: string, options: ConstructorParameters<typeof TokenVault>[2] = {}) => new TokenVault(db, TokenKeyRing.parse(spec), { now, ...options });

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_auth_vault'));
  });
  after(() => drop());
  beforeEach(async () => {
    nowMs = T0.getTime();
    await db('user_links').delete();
  });

  it('round-trips the shop token and keeps only the needed profile fields', async () => {
    const vault = vaultWith(KEY_A);
    const token = shopJwt('1001', 111);
    const link = await vault.linkUser({ telegramUserId: 111, shopUserId: 1001, token, firstName: '  Иван\u0007 ', username: 'ivan_master' });
    assert.deepEqual(
      { ...link, linkedAt: undefined, updatedAt: undefined },
      { telegramUserId: 111, shopUserId: '1001', tokenExpiresAt: new Date((T0_S + 30 * 86_400) * 1000), firstName: 'Иван', username: 'ivan_master', linkedAt: undefined, updatedAt: undefined },
    );
    assert.equal(await vault.getShopToken(111), token);
    assert.deepEqual(await vault.getShopCredentials(111), { telegramUserId: 111, shopUserId: '1001', shopToken: token, tokenExpiresAt: link.tokenExpiresAt });
    assert.equal(await vault.getShopToken(222), undefined, 'not linked');
    assert.equal((await vault.findByShopUser('1001'))?.telegramUserId, 111);
    assert.deepEqual(Object.keys((await db('user_links').first()) as object).sort(), [
      'first_name', 'linked_at', 'shop_user_id', 'telegram_user_id', 'token_ciphertext', 'token_expires_at', 'updated_at', 'username',
    ]);
  });

  it('never stores the plaintext: not in the row, and the table refuses an unencrypted value', async () => {
    const vault = vaultWith(KEY_A);
    const token = shopJwt('1001', 111);
    await vault.linkUser({ telegramUserId: 111, shopUserId: 1001, token });
    const { rows } = await db.raw<{ rows: { row: string }[] }>('select row_to_json(u)::text as row from user_links u');
    const [header, payload, signature] = token.split('.');
    for (const part of [token, header, payload, signature]) assert.ok(!rows[0].row.includes(part), 'a part of the JWT is in the row');
    await assert.rejects(
      db('user_links').update({ token_ciphertext: token }).where({ telegram_user_id: 111 }),
      /user_links_token_encrypted_check/,
    );
  });

  it('writes a different ciphertext every time, even for the same token', async () => {
    const vault = vaultWith(KEY_A);
    const token = shopJwt('1001', 111);
    await vault.linkUser({ telegramUserId: 111, shopUserId: 1001, token });
    const first = (await db('user_links').first()).token_ciphertext as string;
    await vault.linkUser({ telegramUserId: 111, shopUserId: 1001, token });
    const second = (await db('user_links').first()).token_ciphertext as string;
    assert.notEqual(first, second);
    assert.equal(await vault.getShopToken(111), token);
  });

  it('keeps the first link time and updates the rest on a new login', async () => {
    const vault = vaultWith(KEY_A);
    const first = await vault.linkUser({ telegramUserId: 111, shopUserId: 1001, token: shopJwt('1001', 111), firstName: 'Иван' });
    nowMs += 3_600_000;
    const second = await vault.linkUser({ telegramUserId: 111, shopUserId: 1001, token: shopJwt('1001', 111, T0_S + 40 * 86_400), firstName: 'Ваня', username: null });
    assert.equal(second.linkedAt.getTime(), first.linkedAt.getTime());
    assert.equal(second.updatedAt.getTime(), T0.getTime() + 3_600_000);
    assert.equal(second.firstName, 'Ваня');
    assert.equal(second.username, null);
    assert.equal(second.tokenExpiresAt?.getTime(), (T0_S + 40 * 86_400) * 1000);
  });

  it('treats an expired (or nearly expired) token as not linked; expiry comes from the shop or the JWT', async () => {
    const vault = vaultWith(KEY_A);
    await vault.linkUser({ telegramUserId: 111, shopUserId: 1, token: 'opaque-token', expiresAt: new Date(T0.getTime() + 3_600_000).toISOString() });
    assert.equal(await vault.getShopToken(111), 'opaque-token');
    nowMs = T0.getTime() + 3_600_000 - 30_000;
    assert.equal(await vault.getShopToken(111), undefined, 'within the 60 s margin counts as expired');
    await vault.linkUser({ telegramUserId: 222, shopUserId: 2, token: 'no-expiry', expiresAt: null });
    nowMs = T0.getTime() + 365 * 86_400_000;
    assert.equal(await vault.getShopToken(222), 'no-expiry', 'no known expiry: usable until the shop says otherwise');
    assert.equal(jwtExpiry(shopJwt('1', 1, 1_900_000_000))?.getTime(), 1_900_000_000_000);
    assert.equal(jwtExpiry('not-a-jwt'), null);
    assert.equal(jwtExpiry('a.%%%.b'), null);
  });

  it('fails loudly with a wrong key, and a ciphertext moved to another user does not open', async () => {
    await vaultWith(KEY_A).linkUser({ telegramUserId: 111, shopUserId: 1, token: 'token-of-111' });
    await vaultWith(KEY_A).linkUser({ telegramUserId: 222, shopUserId: 2, token: 'token-of-222' });
    await assert.rejects(vaultWith(KEY_B).getShopToken(111), (e: unknown) => e instanceof TokenDecryptError && e.reason === 'unknown-key');
    await assert.rejects(vaultWith(`${derivedKeyId(KEY_A)}:${KEY_B}`).getShopToken(111), (e: unknown) => e instanceof TokenDecryptError && e.reason === 'authentication-failed');
    const stolen = (await db('user_links').where({ telegram_user_id: 111 }).first()).token_ciphertext as string;
    await db('user_links').where({ telegram_user_id: 222 }).update({ token_ciphertext: stolen });
    await assert.rejects(vaultWith(KEY_A).getShopToken(222), (e: unknown) => e instanceof TokenDecryptError && e.reason === 'authentication-failed');
  });

  it('rotates keys: old values decrypt, are re-encrypted on read and by rotateTokens, then the old key can go', async () => {
    const old = vaultWith(KEY_A);
    for (const id of [1, 2, 3, 4, 5]) await old.linkUser({ telegramUserId: id, shopUserId: id, token: `token-${id}` });
    const idA = derivedKeyId(KEY_A);
    const idB = derivedKeyId(KEY_B);
    const kidOf = async (id: number) => keyIdOf((await db('user_links').where({ telegram_user_id: id }).first()).token_ciphertext as string);

    const rotated = vaultWith(`${KEY_B},${KEY_A}`);
    assert.equal(await rotated.getShopToken(1), 'token-1');
    await waitFor(async () => (await kidOf(1)) === idB);
    await rotated.linkUser({ telegramUserId: 2, shopUserId: 2, token: 'token-2b' });
    assert.equal(await kidOf(2), idB, 'a write uses the current key');
    assert.equal(await kidOf(3), idA);

    // One value nobody can open any more is skipped, not fatal.
    await vaultWith('C'.repeat(40)).linkUser({ telegramUserId: 6, shopUserId: 6, token: 'token-6' });
    assert.deepEqual(await rotated.rotateTokens({ batchSize: 2 }), { reencrypted: 3, failed: 1 });
    for (const id of [1, 2, 3, 4, 5]) assert.equal(await kidOf(id), idB);
    assert.deepEqual(await rotated.rotateTokens(), { reencrypted: 0, failed: 1 });

    const newOnly = vaultWith(KEY_B);
    assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map((id) => newOnly.getShopToken(id))), ['token-1', 'token-2b', 'token-3', 'token-4', 'token-5']);
  });

  it('unlink forgets the user and ends their sessions', async () => {
    const vault = vaultWith(KEY_A);
    const sessions = new SessionStore(db, { now });
    await vault.linkUser({ telegramUserId: 111, shopUserId: 1, token: 'token-111' });
    const session = await sessions.issueSession(111);
    assert.ok(await sessions.verifySession(session.access_token));
    assert.equal(await vault.unlink(111), true);
    assert.equal(await vault.unlink(111), false);
    assert.equal(await vault.getLink(111), undefined);
    assert.equal(await sessions.verifySession(session.access_token), undefined);
    assert.equal(Number((await db('api_sessions').count({ n: '*' }))[0].n), 0);
  });

  it('refuses bad input before touching the database', async () => {
    const vault = vaultWith(KEY_A);
    await assert.rejects(vault.linkUser({ telegramUserId: 0, shopUserId: 1, token: 't' }), TypeError);
    await assert.rejects(vault.linkUser({ telegramUserId: 1, shopUserId: ' ', token: 't' }), TypeError);
    await assert.rejects(vault.linkUser({ telegramUserId: 1, shopUserId: 1, token: '' }), TypeError);
    await assert.rejects(vault.linkUser({ telegramUserId: 1, shopUserId: 1, token: 't', expiresAt: 'soon' }), TypeError);
    await assert.rejects(vault.getShopToken(-1 as number), TypeError);
  });

  it('keeps Telegram ids beyond 32 bits exact', async () => {
    const vault = vaultWith(KEY_A);
    const big = 7_123_456_789_012;
    await vault.linkUser({ telegramUserId: big, shopUserId: 'u-1', token: 'token-big' });
    assert.equal(await vault.getShopToken(big), 'token-big');
    assert.equal((await vault.findByShopUser('u-1'))?.telegramUserId, big);
  });
});
