import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/database';
import { consumeToken, principalKey, pruneIdleBuckets, rateLimitHeaders, rateLimitProblem } from '../../src/ratelimit';
import { createTestDatabase } from '../support/postgres';

describe('token bucket rate limit (PostgreSQL)', () => {
  let db: Knex;
  let url: string;
  let drop: () => Promise<void>;
  before(async () => {
    ({ db, url, drop } = await createTestDatabase());
  });
  after(() => drop());

  const t0 = new Date('2026-11-26T10:00:00.000Z');
  const at = (ms: number): Date => new Date(t0.getTime() + ms);

  it('allows the burst, then refuses with Retry-After, then refills with time (injected clock)', async () => {
    const policy = { rate: 1, burst: 3 };
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(await consumeToken(db, 'tg:1', policy, { now: t0 }));
    assert.deepEqual(seen.map((d) => [d.allowed, d.remaining]), [[true, 2], [true, 1], [true, 0]]);
    const refused = await consumeToken(db, 'tg:1', policy, { now: at(200) });
    assert.deepEqual(refused, { allowed: false, remaining: 0, retryAfterSeconds: 1, limit: 3, resetSeconds: 3 });
    const stillRefused = await consumeToken(db, 'tg:1', policy, { now: at(900) });
    assert.equal(stillRefused.allowed, false, 'a refusal does not consume: 0.9 tokens are not enough');
    const again = await consumeToken(db, 'tg:1', policy, { now: at(1000) });
    assert.deepEqual([again.allowed, again.remaining], [true, 0]);
    const later = await consumeToken(db, 'tg:1', policy, { now: at(60_000) });
    assert.deepEqual([later.allowed, later.remaining, later.resetSeconds], [true, 2, 1], 'refill is capped at the burst');
  });

  it('gives a Retry-After that covers the missing tokens at the configured rate', async () => {
    const policy = { rate: 0.1, burst: 1 }; // 6 per minute
    assert.equal((await consumeToken(db, 'token:slow', policy, { now: t0 })).allowed, true);
    const refused = await consumeToken(db, 'token:slow', policy, { now: at(2500) });
    assert.deepEqual([refused.allowed, refused.retryAfterSeconds], [false, 8]);
  });

  it('refills by the database clock with real waiting', async () => {
    const policy = { rate: 2.5, burst: 2 }; // a token every 400 ms
    assert.equal((await consumeToken(db, 'ip:10.0.0.1', policy)).allowed, true);
    assert.equal((await consumeToken(db, 'ip:10.0.0.1', policy)).allowed, true);
    const refused = await consumeToken(db, 'ip:10.0.0.1', policy);
    assert.deepEqual([refused.allowed, refused.retryAfterSeconds], [false, 1]);
    await new Promise((r) => setTimeout(r, 850)); // 2 tokens back after 800 ms
    assert.equal((await consumeToken(db, 'ip:10.0.0.1', policy)).allowed, true);
    assert.equal((await consumeToken(db, 'ip:10.0.0.1', policy)).allowed, true);
    assert.equal((await consumeToken(db, 'ip:10.0.0.1', policy)).allowed, false);
  });

  it('keeps principals independent', async () => {
    const policy = { rate: 1, burst: 1 };
    assert.equal((await consumeToken(db, 'device:scanner-001', policy, { now: t0 })).allowed, true);
    assert.equal((await consumeToken(db, 'device:scanner-001', policy, { now: t0 })).allowed, false);
    assert.equal((await consumeToken(db, 'device:scanner-002', policy, { now: t0 })).allowed, true);
    assert.equal((await consumeToken(db, 'tg:scanner-001', policy, { now: t0 })).allowed, true);
  });

  it('lets exactly the burst through when 50 checks race on one key', async () => {
    const policy = { rate: 0.001, burst: 10 };
    const decisions = await Promise.all(Array.from({ length: 50 }, () => consumeToken(db, 'tg:race', policy)));
    assert.equal(decisions.filter((d) => d.allowed).length, 10);
    assert.ok(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterSeconds >= 1));
  });

  it('shares one budget between middleware instances (separate pools on one database)', async () => {
    const other = createKnex(url, 10);
    try {
      const policy = { rate: 0.001, burst: 10 };
      const decisions = await Promise.all(
        Array.from({ length: 40 }, (_, i) => consumeToken(i % 2 ? db : other, 'token:shared', policy)),
      );
      assert.equal(decisions.filter((d) => d.allowed).length, 10);
    } finally {
      await other.destroy();
    }
  });

  it('charges a cost of several tokens and refuses keys and policies that make no sense', async () => {
    const d = await consumeToken(db, 'tg:bulk', { rate: 1, burst: 10 }, { cost: 4, now: t0 });
    assert.deepEqual([d.allowed, d.remaining], [true, 6]);
    await assert.rejects(consumeToken(db, 'tg:x', { rate: 0, burst: 1 }), RangeError);
    await assert.rejects(consumeToken(db, 'tg:x', { rate: 1, burst: 0 }), RangeError);
    await assert.rejects(consumeToken(db, 'tg:x', { rate: 1, burst: 2 }, { cost: 3 }), RangeError);
    await assert.rejects(consumeToken(db, '', { rate: 1, burst: 2 }), RangeError);
  });

  it('prunes buckets idle for longer than asked', async () => {
    await db('rate_limit_buckets').insert({ key: 'ip:old', tokens: 0, updated_at: new Date(Date.now() - 2 * 86400_000) });
    const removed = await pruneIdleBuckets(db, 86400);
    assert.ok(removed >= 1);
    assert.equal(await db('rate_limit_buckets').where({ key: 'ip:old' }).first(), undefined);
  });
});

describe('rate limit helpers', () => {
  it('builds principal keys, hashing secrets and over-long values', () => {
    assert.equal(principalKey('tg:', 123456), 'tg:123456');
    assert.equal(principalKey('ip:', ' 1.2.3.4 '), 'ip:1.2.3.4');
    assert.equal(principalKey('ip:', ''), undefined);
    assert.equal(principalKey('ip:', undefined), undefined);
    assert.equal(principalKey('x:', { a: 1 }), undefined);
    const hashed = principalKey('token:', 'secret-api-token', { hash: true })!;
    assert.match(hashed, /^token:sha256:[A-Za-z0-9_-]{43}$/);
    assert.ok(!hashed.includes('secret'));
    assert.ok(principalKey('k:', 'x'.repeat(1000))!.length < 100);
  });

  it('gives RateLimit headers always and Retry-After when refused, and a 429 problem', () => {
    const refused = { allowed: false, remaining: 0, retryAfterSeconds: 7, limit: 10, resetSeconds: 70 };
    assert.deepEqual(rateLimitHeaders(refused), { 'RateLimit-Limit': '10', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '70', 'Retry-After': '7' });
    assert.deepEqual(Object.keys(rateLimitHeaders({ ...refused, allowed: true })), ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']);
    const p = rateLimitProblem(refused, { correlationId: 'c', instance: '/x' });
    assert.deepEqual([p.status, p.code, p.retry_after, p.correlation_id], [429, 'RATE_LIMITED', 7, 'c']);
  });
});
