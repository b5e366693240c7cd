import assert from 'node:assert/strict';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, needsRehash, parsePasswordHash, verifyPassword } from '../../src/mqtt/password-hash';

const FAST = { N: 1024, r: 8, p: 1 };

describe('mqtt password hash', () => {
  it('encodes scrypt$N$r$p$salt$hash with the default cost', async () => {
    const encoded = await hashPassword('correct horse');
    assert.match(encoded, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.equal(needsRehash(encoded), false);
    assert.equal(needsRehash(encoded, FAST), true);
  });

  it('verifies the right password and refuses wrong ones', async () => {
    const encoded = await hashPassword('correct horse', FAST);
    assert.equal(await verifyPassword('correct horse', encoded), true);
    for (const wrong of ['correct hors', 'correct horse ', 'Correct horse', '']) assert.equal(await verifyPassword(wrong, encoded), false, wrong);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same', FAST), hashPassword('same', FAST)]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same', a), true);
    assert.equal(await verifyPassword('same', b), true);
  });

  it('treats Unicode compositions alike (NFC)', async () => {
    const encoded = await hashPassword('пароль-й', FAST); // й precomposed
    assert.equal(await verifyPassword('пароль-и\u0306', encoded), true); // и + combining breve
  });

  it('never matches a damaged or foreign hash, and refuses absurd cost parameters', async () => {
    const good = await hashPassword('pw', FAST);
    const parts = good.split('$');
    const damaged = [
      '',
      'plain',
      good.replace('scrypt', 'bcrypt'),
      parts.slice(0, 5).join('$'),
      [...parts.slice(0, 1), '1000', ...parts.slice(2)].join('$'), // N not a power of two
      [...parts.slice(0, 1), String(1 << 24), ...parts.slice(2)].join('$'), // N too large
      [...parts.slice(0, 2), '0', ...parts.slice(3)].join('$'),
      [...parts.slice(0, 3), '999', ...parts.slice(4)].join('$'),
      [...parts.slice(0, 4), '', parts[5]].join('$'),
      [...parts.slice(0, 5), 'AAAA'].join('$'),
      '$2b$10$abcdefghijklmnopqrstuu5e5cV1mDWo0Gv0YJkq0W7m1gQdCcXQe', // a bcrypt hash
    ];
    for (const encoded of damaged) {
      assert.equal(parsePasswordHash(encoded), undefined, encoded);
      assert.equal(await verifyPassword('pw', encoded), false, encoded);
    }
  });

  it('rejects bad parameters when hashing', async () => {
    await assert.rejects(hashPassword('pw', { N: 1000, r: 8, p: 1 }), RangeError);
    await assert.rejects(hashPassword('pw', { ...DEFAULT_SCRYPT_PARAMS, r: 0 }), RangeError);
  });
});
