import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import express from 'express';
import knexFactory, { type Knex } from 'knex';
import { correlationMiddleware } from '../../src/http/correlation';
import { pruneIdleBuckets, rateLimitMiddleware, startBucketPruner } from '../../src/ratelimit';
import { createTestDatabase } from '../support/postgres';

describe('rateLimitMiddleware (Express, PostgreSQL)', () => {
  let db: Knex;
  let url: string;
  let drop: () => Promise<void>;
  let server: http.Server;
  let base: string;
  before(async () => {
    ({ db, url, drop } = await createTestDatabase());
    const app = express();
    app.use(correlationMiddleware);
    app.use('/api', rateLimitMiddleware({ db, policy: { rate: 0.01, burst: 2 }, keyOf: (req) => (req.get('x-api-token') ? `token:${req.get('x-api-token')}` : undefined) }));
    app.get('/api/ping', (_req, res) => res.json({ pong: true }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await drop();
  });

  it('answers 429 problem+json with Retry-After once the burst is used, per principal', async () => {
    const call = (token?: string) => fetch(`${base}/api/ping`, { headers: token ? { 'x-api-token': token } : {} });
    const first = await call('a');
    assert.deepEqual([first.status, first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining')], [200, '2', '1']);
    assert.equal((await call('a')).status, 200);
    const refused = await call('a');
    assert.equal(refused.status, 429);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(refused.headers.get('retry-after'), '100');
    assert.ok(refused.headers.get('x-correlation-id'));
    assert.equal(((await refused.json()) as { code: string }).code, 'RATE_LIMITED');
    assert.equal((await call('b')).status, 200, 'another token has its own budget');
    assert.equal((await call()).status, 200, 'no token: limited by address');
    assert.ok(await db('rate_limit_buckets').where({ key: 'ip:127.0.0.1' }).first());
  });

  it('fails open when the database is unreachable, or passes the error on', async () => {
    const errors: unknown[] = [];
    // A real pool on a database that does not exist (knex's console warnings silenced).
    const broken = knexFactory({
      client: 'pg',
      connection: url.replace(/\/[^/]*$/, '/no_such_database'),
      pool: { min: 0, max: 1 },
      log: { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined },
    });
    for (const failOpen of [true, false]) {
      const app = express();
      app.use(rateLimitMiddleware({ db: broken, policy: { rate: 1, burst: 1 }, failOpen, onError: (e) => errors.push(e) }));
      app.get('/', (_req, res) => res.send('ok'));
      app.use(((_err, _req, res, _next) => res.status(503).send('down')) as express.ErrorRequestHandler);
      const s = app.listen(0, '127.0.0.1');
      await new Promise((r) => s.once('listening', r));
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`);
      assert.equal(res.status, failOpen ? 200 : 503);
      s.closeAllConnections();
      s.close();
    }
    await broken.destroy();
    assert.equal(errors.length, 2);
    assert.match(String((errors[0] as Error).message), /no_such_database/);
  });

  it('prunes on a timer that does not hold the process', async () => {
    await db('rate_limit_buckets').insert({ key: 'ip:stale', tokens: 1, updated_at: new Date(Date.now() - 3 * 86400_000) });
    const stop = startBucketPruner(db, { warn: () => undefined, debug: () => undefined }, { intervalMs: 20 });
    try {
      const deadline = Date.now() + 3000;
      while ((await db('rate_limit_buckets').where({ key: 'ip:stale' }).first()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await db('rate_limit_buckets').where({ key: 'ip:stale' }).first(), undefined);
    } finally {
      stop();
    }
    assert.equal(await pruneIdleBuckets(db), 0);
  });
});
