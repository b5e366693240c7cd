import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StartupError } from '../../src/errors';
import { derivedKeyId, keyIdOf, resolveTokenKey, TOKEN_KEY_FILE, TokenDecryptError, TokenKeyRing } from '../../src/auth/token-keys';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMDAxIn0.c2lnbmF0dXJl';

function decryptError(fn: () => unknown, reason: string): void {
  assert.throws(fn, (e: unknown) => e instanceof TokenDecryptError && e.reason === reason);
}

describe('token encryption keys (AES-256-GCM, HKDF)', () => {
  it('round-trips, with a fresh IV per value and the key id in the prefix', () => {
    const ring = TokenKeyRing.parse(A);
    const one = ring.encrypt(JWT, 'user:1');
    const two = ring.encrypt(JWT, 'user:1');
    assert.notEqual(one, two, 'random IV: the same token encrypts differently each time');
    assert.match(one, new RegExp(`^v1:${ring.current.id}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$`));
    assert.equal(keyIdOf(one), ring.current.id);
    assert.ok(!one.includes(JWT) && !one.includes('eyJ'));
    assert.deepEqual(ring.decrypt(one, 'user:1'), { plaintext: JWT, keyId: ring.current.id, stale: false });
  });

  it('derives the AES key and a stable id from the secret (HKDF), never using the secret itself', () => {
    const ring = TokenKeyRing.parse(A);
    assert.equal(ring.current.key.length, 32);
    assert.notDeepEqual(ring.current.key, Buffer.from(A.slice(0, 32)));
    assert.equal(ring.current.id, derivedKeyId(A));
    assert.equal(TokenKeyRing.parse(A).current.id, ring.current.id, 'same secret, same id across restarts');
    assert.notEqual(TokenKeyRing.parse(B).current.id, ring.current.id);
    assert.equal(TokenKeyRing.parse(`2026a:${A}`).current.id, '2026a');
  });

  it('fails with a typed error for a wrong key, another row (AAD), tampering and garbage', () => {
    const stored = TokenKeyRing.parse(A).encrypt(JWT, 'user:1');
    decryptError(() => TokenKeyRing.parse(B).decrypt(stored, 'user:1'), 'unknown-key');
    // Same id, different secret: authentication fails.
    decryptError(() => TokenKeyRing.parse(`k:${B}`).decrypt(TokenKeyRing.parse(`k:${A}`).encrypt(JWT, 'user:1'), 'user:1'), 'authentication-failed');
    decryptError(() => TokenKeyRing.parse(A).decrypt(stored, 'user:2'), 'authentication-failed');
    const parts = stored.split(':');
    const data = Buffer.from(parts[3], 'base64url');
    data[0] ^= 1;
    decryptError(() => TokenKeyRing.parse(A).decrypt([...parts.slice(0, 3), data.toString('base64url')].join(':'), 'user:1'), 'authentication-failed');
    decryptError(() => TokenKeyRing.parse(A).decrypt(JWT, 'user:1'), 'malformed');
    decryptError(() => TokenKeyRing.parse(A).decrypt('v2:x:y:z', 'user:1'), 'malformed');
  });

  it('rotates: the first secret is current, older ones still decrypt and are flagged stale', () => {
    const old = TokenKeyRing.parse(A);
    const stored = old.encrypt(JWT, 'user:1');
    const rotated = TokenKeyRing.parse(`${B},${A}`);
    assert.equal(rotated.current.id, derivedKeyId(B));
    assert.deepEqual(rotated.ids, [derivedKeyId(B), derivedKeyId(A)]);
    assert.deepEqual(rotated.decrypt(stored, 'user:1'), { plaintext: JWT, keyId: old.current.id, stale: true });
    assert.equal(keyIdOf(rotated.encrypt(JWT, 'user:1')), derivedKeyId(B));
  });

  it('refuses short secrets, duplicates, bad ids and an empty spec', () => {
    assert.throws(() => TokenKeyRing.parse('short'), /at least 32 characters/);
    assert.throws(() => TokenKeyRing.parse(`${A},${A}`), /configured twice/);
    assert.throws(() => TokenKeyRing.parse(` , `), /no secret/);
    assert.throws(() => new TokenKeyRing([]), /at least one key/);
  });

  describe('resolveTokenKey', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'mw-token-key-'));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('uses TOKEN_ENCRYPTION_KEY when set, and checks it', async () => {
      assert.equal(await resolveTokenKey(dir, ` ${A} `), A);
      await assert.rejects(resolveTokenKey(dir, 'too-short'), (e: unknown) => e instanceof StartupError && /TOKEN_ENCRYPTION_KEY is not usable/.test(e.message));
    });

    it('generates a development key once, private to the owner, and reuses it', async () => {
      const first = await resolveTokenKey(dir);
      assert.match(first, /^[0-9a-f]{64}$/);
      assert.equal(await resolveTokenKey(dir), first);
      assert.equal((await stat(path.join(dir, TOKEN_KEY_FILE))).mode & 0o777, 0o600);
      assert.equal((await readFile(path.join(dir, TOKEN_KEY_FILE), 'utf8')).trim(), first);
    });

    it('two processes starting together agree on one key', async () => {
      const keys = await Promise.all([resolveTokenKey(dir), resolveTokenKey(dir), resolveTokenKey(dir)]);
      assert.equal(new Set(keys).size, 1);
    });

    it('refuses to start in production without the variable', async () => {
      await writeFile(path.join(dir, TOKEN_KEY_FILE), `${A}\n`);
      await assert.rejects(resolveTokenKey(dir, undefined, { production: true }), (e: unknown) => e instanceof StartupError && /TOKEN_ENCRYPTION_KEY is not set/.test(e.message));
    });
  });
});
