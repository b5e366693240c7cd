import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { Knex } from 'knex';
import { bindOutboundMetrics, createMetrics, httpMetrics, metricsHandler } from '../../src/metrics';
import { enqueue, queueStats, type OutboundBus } from '../../src/outbound';
import { createTestDatabase } from '../support/postgres';

/** The value of one sample line, e.g. value(text, 'x_total{a="b"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function seriesOf(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('metrics', () => {
  it('exposes every series of the spec, on its own registry', async () => {
    const m = createMetrics({ journalWriteErrors: () => 0 });
    m.recordIdempotentReplay();
    m.recordIdempotencyConflict(422);
    m.recordIdempotencyConflict(409);
    m.recordDuplicatePrevented('api');
    m.setDegraded('shop_api', true);
    m.setDeltaLag('nsi', 3.5);
    m.recordSearch(true, 'telegram');
    m.recordSearch(false, 'telegram');
    m.setCodShare(0.42);
    m.recordOutboundOutcome('b24', 'dead');
    m.setBreakerState('b24', 'open');
    const text = await m.scrape();
    for (const name of [
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'http_request_duration_seconds',
      'http_requests_total',
      'idempotency_replays_total',
      'idempotency_conflicts_total',
      'duplicates_prevented_total',
      'outbound_queue_items',
      'outbound_queue_oldest_age_seconds',
      'outbound_dead_letters_total',
      'journal_write_errors_total',
      'degraded_mode',
      'delta_lag_seconds',
      'search_no_result_total',
      'cod_share',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.equal(value(text, 'idempotency_conflicts_total{status="422"}'), 1);
    assert.equal(value(text, 'degraded_mode{component="shop_api"}'), 1);
    assert.equal(value(text, 'delta_lag_seconds{stream="nsi"}'), 3.5);
    assert.equal(value(text, 'search_queries_total{channel="telegram"}'), 2);
    assert.equal(value(text, 'search_no_result_total{channel="telegram"}'), 1);
    assert.equal(value(text, 'cod_share'), 0.42);
    assert.equal(value(text, 'outbound_dead_letters_total{destination="b24"}'), 1);
    assert.equal(value(text, 'outbound_circuit_state{destination="b24"}'), 2);
    // A second registry starts empty: nothing global is shared.
    assert.equal(value(await createMetrics({ defaultMetrics: false }).scrape(), 'cod_share'), 0);
  });

  it('reads journal write errors from the registered getter as a counter', async () => {
    let errors = 3;
    const m = createMetrics({ defaultMetrics: false });
    assert.equal(value(await m.scrape(), 'journal_write_errors_total'), 0);
    m.setJournalWriteErrorsSource(() => errors);
    assert.equal(value(await m.scrape(), 'journal_write_errors_total'), 3);
    errors = 5;
    assert.equal(value(await m.scrape(), 'journal_write_errors_total'), 5);
  });

  it('keeps data-driven labels bounded', async () => {
    const m = createMetrics({ defaultMetrics: false, maxLabelValues: 20 });
    for (let i = 0; i < 500; i++) m.setDeltaLag(`stream-${i}`, i);
    const series = seriesOf(await m.scrape(), 'delta_lag_seconds');
    assert.equal(series.length, 21);
    assert.ok(series.some((s) => s.startsWith('delta_lag_seconds{stream="other"}')));
  });

  it('counts outbound outcomes from the process bus', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const bus = new EventEmitter() as OutboundBus;
    const unbind = bindOutboundMetrics(m, bus);
    const item = { destination: '1c' } as never;
    bus.emit('dead-letter', { item, error: 'x' });
    bus.emit('delivered', { item, durationMs: 5 });
    bus.emit('breaker', { destination: '1c', state: 'half_open', previous: 'open' });
    unbind();
    bus.emit('dead-letter', { item, error: 'x' });
    const text = await m.scrape();
    assert.equal(value(text, 'outbound_dead_letters_total{destination="1c"}'), 1);
    assert.equal(value(text, 'outbound_deliveries_total{destination="1c",outcome="delivered"}'), 1);
    assert.equal(value(text, 'outbound_circuit_state{destination="1c"}'), 1);
  });

  describe('HTTP', () => {
    let server: Server;
    let base: string;
    const m = createMetrics({ defaultMetrics: false });

    before(async () => {
      const app = express();
      app.set('env', 'test'); // the default error handler stays quiet
      app.use(httpMetrics(m, { maxRoutes: 50 }));
      const api = express.Router();
      api.get('/orders/:id', (req, res) => void res.json({ id: req.params.id }));
      api.post('/orders', (_req, res) => void res.status(201).json({ ok: true }));
      api.get('/boom', () => {
        throw new Error('boom');
      });
      app.use('/api/v1', api);
      app.get('/slow', (_req, res) => void setTimeout(() => res.send('ok'), 30));
      app.get('/metrics', metricsHandler(m));
      await new Promise<void>((resolve) => {
        server = app.listen(0, '127.0.0.1', () => resolve());
      });
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

    it('records a request to a real Express app by route template and status', async () => {
      assert.equal((await fetch(`${base}/api/v1/orders/123`)).status, 200);
      assert.equal((await fetch(`${base}/api/v1/orders/456`)).status, 200);
      assert.equal((await fetch(`${base}/api/v1/orders`, { method: 'POST' })).status, 201);
      assert.equal((await fetch(`${base}/api/v1/boom`)).status, 500);
      assert.equal((await fetch(`${base}/slow`)).status, 200);
      const res = await fetch(`${base}/metrics`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.equal(value(text, 'http_request_duration_seconds_count{method="GET",route="/api/v1/orders/:id",status="200"}'), 2);
      assert.equal(value(text, 'http_requests_total{method="POST",route="/api/v1/orders",status_class="2xx"}'), 1);
      assert.equal(value(text, 'http_requests_total{method="GET",route="/api/v1/boom",status_class="5xx"}'), 1);
      // /slow took ≥ 30 ms: outside the 25 ms bucket, inside the 50 ms one… or later on a busy machine.
      assert.equal(value(text, 'http_request_duration_seconds_bucket{le="0.025",method="GET",route="/slow",status="200"}'), 0);
      assert.equal(value(text, 'http_request_duration_seconds_count{method="GET",route="/slow",status="200"}'), 1);
      assert.ok(!text.includes('/orders/123'), 'no raw URL in labels');
    });

    it('keeps route cardinality bounded with many distinct URLs', async () => {
      await Promise.all(Array.from({ length: 300 }, (_, i) => fetch(`${base}/nope/${i}?q=${i}`).then((r) => r.arrayBuffer())));
      await Promise.all(Array.from({ length: 100 }, (_, i) => fetch(`${base}/api/v1/orders/${i}`).then((r) => r.arrayBuffer())));
      const text = await m.scrape();
      const routes = new Set(seriesOf(text, 'http_requests_total').map((l) => /route="([^"]*)"/.exec(l)?.[1]));
      assert.ok(routes.has('unmatched'));
      assert.ok(routes.size <= 6, `routes: ${[...routes].join(', ')}`);
      assert.equal(value(text, 'http_requests_total{method="GET",route="unmatched",status_class="4xx"}'), 300);
      assert.ok(!/route="\/nope/.test(text));
    });
  });

  describe('outbound queue gauges (PostgreSQL)', () => {
    let db: Knex;
    let drop: () => Promise<void>;
    before(async () => {
      ({ db, drop } = await createTestDatabase('mw_test_metrics'));
    });
    after(() => drop());

    it('reads queue length and oldest age on scrape, cached so scrapes do not hammer the database', async () => {
      let clock = Date.parse('2026-11-26T10:00:00Z');
      let queries = 0;
      const m = createMetrics({
        defaultMetrics: false,
        queueStatsCacheMs: 1000,
        now: () => clock,
        queueStats: () => {
          queries++;
          return queueStats(db, { now: new Date(clock) });
        },
      });
      await enqueue(db, { destination: 'b24', operation: 'op', payload: 1, now: new Date(clock - 120_000) });
      await enqueue(db, { destination: 'b24', operation: 'op', payload: 2, now: new Date(clock) });
      let text = await m.scrape();
      assert.equal(value(text, 'outbound_queue_items{destination="b24",state="pending"}'), 2);
      assert.equal(value(text, 'outbound_queue_oldest_age_seconds{destination="b24",state="pending"}'), 120);
      await Promise.all([m.scrape(), m.scrape(), m.scrape()]);
      assert.equal(queries, 1, 'one query for all scrapes within the cache window');
      await db('outbound_deliveries').delete();
      clock += 1000;
      text = await m.scrape();
      assert.equal(queries, 2);
      assert.equal(value(text, 'outbound_queue_items{destination="b24",state="pending"}'), 0, 'an emptied group reads 0');
    });

    it('serves the last values when the database fails, and counts the failure', async () => {
      let clock = 0;
      let fail = false;
      const m = createMetrics({
        defaultMetrics: false,
        now: () => clock,
        queueStats: async () => {
          if (fail) throw new Error('db down');
          return [{ destination: '1c', state: 'dead', count: 4, oldestAgeSeconds: 10 }];
        },
      });
      assert.equal(value(await m.scrape(), 'outbound_queue_items{destination="1c",state="dead"}'), 4);
      fail = true;
      clock += 10_000;
      const text = await m.scrape();
      assert.equal(value(text, 'outbound_queue_items{destination="1c",state="dead"}'), 4);
      assert.equal(value(text, 'metrics_collect_errors_total{source="outbound_queue"}'), 1);
    });
  });
});

describe('order metrics', () => {
  it('counts accepted orders by payment type and keeps the COD share', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.recordOrderCreated('cod');
    metrics.recordOrderCreated('prepaid');
    metrics.recordOrderCreated('cod');
    metrics.recordOrderCreated('cod');
    const text = await metrics.registry.metrics();
    assert.match(text, /orders_created_total\{payment_type="cod"\} 3/);
    assert.match(text, /orders_created_total\{payment_type="prepaid"\} 1/);
    assert.match(text, /cod_share 0\.75/);
  });
});
