import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/database';
import {
  classifyOutcome,
  DeliveryWorker,
  enqueue,
  getDelivery,
  replayDead,
  systemClock,
  type Clock,
  type DeliverFn,
  type DeliveryWorkerOptions,
  type TimerHandle,
} from '../../src/outbound';
import { createTestDatabase } from '../support/postgres';
import { ManualClock } from './manual-clock';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('outbound delivery worker (PostgreSQL, fake clock)', () => {
  let db: Knex;
  let url: string;
  let drop: () => Promise<void>;
  const T0 = Date.parse('2026-11-26T09:00:00Z');
  const workers: DeliveryWorker[] = [];

  before(async () => {
    ({ db, url, drop } = await createTestDatabase('mw_outbound_w'));
  });
  after(() => drop());
  beforeEach(() => db('outbound_deliveries').delete());
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });

  function worker(options: Partial<DeliveryWorkerOptions> & { deliver: DeliverFn }): DeliveryWorker {
    const w = new DeliveryWorker({ db, bus: null, ...options });
    workers.push(w);
    return w;
  }

  /** Runs every poll due at the clock's current time, including the ones those polls schedule at once. */
  async function settle(clock: ManualClock, w: DeliveryWorker): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      await w.whenIdle();
      if (clock.fireDue() === 0) return;
    }
    throw new Error('worker did not settle');
  }

  /** Waits (in real time) until the item's claim is recorded, so the fake clock moves only after it. */
  async function claimed(id: number): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if ((await getDelivery(db, id))?.state === 'in_progress') return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`item ${id} was never claimed`);
  }

  const failing: DeliverFn = async () => ({ kind: 'transient', status: 503, error: 'HTTP 503 Service Unavailable' });

  it('walks the whole ladder 1m, 5m, 15m, 1h, 3h, 12h (jittered), then dead-letters with an event', async () => {
    const clock = new ManualClock(T0);
    const attemptsAt: number[] = [];
    const w = worker({
      clock,
      random: () => 0.75, // +5 % on every step
      deliver: async (item) => {
        attemptsAt.push(clock.now());
        return failing(item, { signal: new AbortController().signal });
      },
    });
    const deadLetters: { id: number; error: string }[] = [];
    w.on('dead-letter', ({ item, error }) => deadLetters.push({ id: item.id, error }));
    const { item } = await enqueue(db, { destination: 'b24', operation: 'tasks.task.add', payload: { orderId: 'A-7' }, now: new Date(T0) });
    w.start();
    await settle(clock, w);
    for (let guard = 0; guard < 20; guard++) {
      const row = (await getDelivery(db, item.id))!;
      if (row.state !== 'pending') break;
      clock.jumpTo(row.nextAttemptAt.getTime());
      await settle(clock, w);
    }
    const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]);
    assert.deepEqual(gaps, [1 * MIN, 5 * MIN, 15 * MIN, 1 * HOUR, 3 * HOUR, 12 * HOUR].map((ms) => Math.round(ms * 1.05)));
    const dead = (await getDelivery(db, item.id))!;
    assert.equal(dead.state, 'dead');
    assert.equal(dead.attempt, 7);
    assert.equal(dead.deadAt?.getTime(), attemptsAt[6]);
    assert.ok(dead.deadAt!.getTime() - T0 < 24 * HOUR, 'within the 24 h window');
    assert.deepEqual(deadLetters.map((d) => d.id), [item.id]);
    assert.match(deadLetters[0].error, /HTTP 503.*retry ladder exhausted after 7 attempts/);
  });

  it('keeps every jittered step within ±10 % of the ladder', async () => {
    const clock = new ManualClock(T0);
    const attemptsAt: number[] = [];
    const w = worker({ clock, random: Math.random, deliver: async (i, c) => (attemptsAt.push(clock.now()), failing(i, c)) });
    const { item } = await enqueue(db, { destination: 'b24', operation: 'op', payload: {}, now: new Date(T0) });
    for (let n = 0; n < 7; n++) {
      await w.runOnce();
      const row = (await getDelivery(db, item.id))!;
      if (row.state !== 'pending') break;
      clock.jumpTo(row.nextAttemptAt.getTime());
    }
    const ladder = [1 * MIN, 5 * MIN, 15 * MIN, 1 * HOUR, 3 * HOUR, 12 * HOUR];
    attemptsAt.slice(1).forEach((t, i) => {
      const gap = t - attemptsAt[i];
      assert.ok(gap >= ladder[i] * 0.9 && gap <= ladder[i] * 1.1, `step ${i + 1}: ${gap}`);
    });
    assert.equal((await getDelivery(db, item.id))!.state, 'dead');
  });

  it('honours Retry-After when it is later than the ladder step', async () => {
    const clock = new ManualClock(T0);
    const attemptsAt: number[] = [];
    const w = worker({
      clock,
      random: () => 0.5,
      deliver: async () => {
        attemptsAt.push(clock.now());
        return attemptsAt.length === 1
          ? classifyOutcome({ status: 429, headers: { 'retry-after': '600' }, body: { error: 'QUERY_LIMIT_EXCEEDED' } }, clock.now())
          : classifyOutcome({ status: 200, body: { result: { task: { id: '3711' } } } }, clock.now());
      },
    });
    const { item } = await enqueue(db, { destination: 'b24', operation: 'op', payload: {}, now: new Date(T0) });
    w.start();
    await settle(clock, w);
    const row = (await getDelivery(db, item.id))!;
    assert.equal(row.nextAttemptAt.getTime(), T0 + 600_000);
    assert.equal(row.lastStatus, 429);
    clock.jumpTo(T0 + 2 * MIN); // the 1 m ladder step has passed, Retry-After has not
    await settle(clock, w);
    assert.equal(attemptsAt.length, 1);
    clock.jumpTo(T0 + 600_000);
    await settle(clock, w);
    assert.deepEqual(attemptsAt, [T0, T0 + 600_000]);
    assert.equal((await getDelivery(db, item.id))!.state, 'delivered');
  });

  it('sends a business error to needs_human at once and never retries it', async () => {
    const clock = new ManualClock(T0);
    let calls = 0;
    const w = worker({
      clock,
      deliver: async () => {
        calls++;
        return classifyOutcome({ status: 400, body: { error: 'ERROR_CORE', error_description: 'Не указан ответственный' } }, clock.now());
      },
    });
    const humans: string[] = [];
    w.on('needs-human', ({ error }) => humans.push(error));
    const { item } = await enqueue(db, { destination: 'b24', operation: 'tasks.task.add', payload: {}, now: new Date(T0) });
    w.start();
    await settle(clock, w);
    for (const t of [MIN, HOUR, 13 * HOUR, 25 * HOUR]) {
      clock.jumpTo(T0 + t);
      await settle(clock, w);
    }
    const row = (await getDelivery(db, item.id))!;
    assert.deepEqual([row.state, row.attempt, row.lastStatus, calls], ['needs_human', 1, 400, 1]);
    assert.deepEqual(humans, ['HTTP 400 ERROR_CORE: Не указан ответственный']);
  });

  it('opens the breaker per destination, holds items without attempting them, half-opens with one trial and closes', async () => {
    const clock = new ManualClock(T0);
    let b24Down = true;
    const calls: { id: number; at: number }[] = [];
    const w = worker({
      clock,
      concurrency: 2,
      random: () => 0.5,
      breaker: { failureThreshold: 3, cooldownMs: 30_000, maxCooldownMs: 120_000 },
      deliver: async (item) => {
        calls.push({ id: item.id, at: clock.now() });
        return item.destination === 'b24' && b24Down ? { kind: 'transient', status: 503, error: 'HTTP 503' } : { kind: 'delivered', status: 200 };
      },
    });
    const released: number[] = [];
    w.on('released', ({ item }) => released.push(item.id));
    const b24: number[] = [];
    for (let i = 0; i < 5; i++) b24.push((await enqueue(db, { destination: 'b24', operation: 'op', payload: i, now: new Date(T0) })).item.id);
    const other = (await enqueue(db, { destination: '1c', operation: 'op', payload: 'x', now: new Date(T0) })).item.id;
    const breaker = w.breakers.get('b24');

    await w.runOnce(); // b24 #0, #1 fail
    await w.runOnce(); // b24 #2, #3 fail → open after the third
    assert.equal(breaker.stateAt(clock.now()), 'open');
    assert.equal(await w.runOnce(), 1, 'only the other destination is claimed');
    assert.equal((await getDelivery(db, other))!.state, 'delivered');
    assert.equal(calls.length, 5);
    assert.equal((await getDelivery(db, b24[4]))!.attempt, 0, 'held, not attempted');

    clock.jumpTo(T0 + 70_000); // cool-down over; #4 and #0 are due
    assert.equal(await w.runOnce(), 2);
    assert.equal(calls.length, 6, 'half-open lets exactly one trial through');
    assert.equal(released.length, 1);
    const held = (await getDelivery(db, released[0]))!;
    assert.equal(held.state, 'pending');
    assert.equal(held.nextAttemptAt.getTime(), T0 + 71_000);
    assert.equal(breaker.stateAt(clock.now()), 'open', 'the trial failed');
    assert.equal(breaker.retryAt(clock.now()), T0 + 70_000 + 60_000, 'cool-down doubled');

    b24Down = false;
    clock.jumpTo(T0 + 130_000);
    await w.runOnce();
    assert.equal(breaker.stateAt(clock.now()), 'closed');
    for (let i = 0; i < 10; i++) {
      clock.advance(2000);
      await w.runOnce();
    }
    clock.jumpTo(T0 + 10 * MIN);
    while ((await w.runOnce()) > 0);
    const states = await db('outbound_deliveries').whereIn('id', b24).pluck('state');
    assert.deepEqual([...new Set(states)], ['delivered']);
    // Nothing was attempted while the breaker was open.
    assert.ok(calls.every((c) => c.at < T0 + 70_000 || c.at === T0 + 70_000 || c.at >= T0 + 130_000));
  });

  it('two or more workers on separate connections never deliver the same item twice (200 items, 4 workers)', async function () {
    this.timeout(60_000);
    const counts = new Map<number, number>();
    const byWorker = new Map<string, number>();
    const pools = Array.from({ length: 4 }, () => createKnex(url, 3));
    try {
      const ids: number[] = [];
      for (let i = 0; i < 200; i++) ids.push((await enqueue(db, { destination: i % 3 ? 'b24' : '1c', operation: 'op', payload: i })).item.id);
      const ws = pools.map((pool, n) => {
        const w = new DeliveryWorker({
          db: pool,
          bus: null,
          workerId: `w${n}`,
          concurrency: 5,
          pollMs: 5,
          deliver: async (item) => {
            await new Promise((r) => setTimeout(r, Math.random() * 3));
            counts.set(item.id, (counts.get(item.id) ?? 0) + 1);
            byWorker.set(`w${n}`, (byWorker.get(`w${n}`) ?? 0) + 1);
            return { kind: 'delivered', status: 200 };
          },
        });
        workers.push(w);
        return w;
      });
      ws.forEach((w) => w.start());
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        const [{ n }] = await db('outbound_deliveries').where({ state: 'delivered' }).count({ n: '*' });
        if (Number(n) === 200) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await Promise.all(ws.map((w) => w.stop()));
      assert.equal(counts.size, 200);
      assert.equal([...counts.values()].reduce((a, b) => a + b, 0), 200, 'each item delivered exactly once');
      assert.ok(byWorker.size >= 2, `work was shared: ${JSON.stringify([...byWorker])}`);
    } finally {
      await Promise.all(pools.map((p) => p.destroy()));
    }
  });

  it('reclaims an item whose worker crashed mid-delivery, once its lock expires', async () => {
    const clock = new ManualClock(T0);
    const { item } = await enqueue(db, { destination: 'b24', operation: 'op', payload: {}, now: new Date(T0) });
    // The crashed worker: it claimed and then never came back (its own clock never moves, so none
    // of its timers fire, as after a kill -9).
    const crashed = worker({ clock: new ManualClock(T0), lockMs: 30_000, deliver: () => new Promise(() => undefined) });
    void crashed.runOnce();
    await claimed(item.id);
    let delivered = 0;
    const survivor = worker({ clock, lockMs: 30_000, deliver: async () => (delivered++, { kind: 'delivered', status: 200 }) });
    clock.jumpTo(T0 + 10_000);
    assert.equal(await survivor.runOnce(), 0, 'still locked');
    clock.jumpTo(T0 + 30_000);
    assert.equal(await survivor.runOnce(), 1);
    const row = (await getDelivery(db, item.id))!;
    assert.deepEqual([row.state, row.attempt, delivered], ['delivered', 2, 1]);
  });

  it('aborts a call that would outlive its claim and schedules a retry', async () => {
    const clock = new ManualClock(T0);
    const w = worker({
      clock,
      lockMs: 10_000,
      random: () => 0.5,
      deliver: (_item, { signal }) => {
        started();
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
    });
    let started!: () => void;
    const attemptStarted = new Promise<void>((r) => (started = r));
    const { item } = await enqueue(db, { destination: 'b24', operation: 'op', payload: {}, now: new Date(T0) });
    const run = w.runOnce();
    await attemptStarted;
    clock.advance(9000); // lock 10 s, abort 1 s before it expires
    await run;
    const row = (await getDelivery(db, item.id))!;
    assert.equal(row.state, 'pending');
    assert.match(row.lastError ?? '', /claim is about to expire/);
    assert.equal(row.nextAttemptAt.getTime(), T0 + 9000 + MIN);
  });

  it('is not stalled by a call that ignores its abort signal', async () => {
    const clock = new ManualClock(T0);
    let started!: () => void;
    const attemptStarted = new Promise<void>((r) => (started = r));
    const w = worker({ clock, lockMs: 10_000, random: () => 0.5, deliver: () => (started(), new Promise(() => undefined)) });
    const { item } = await enqueue(db, { destination: 'b24', operation: 'op', payload: {}, now: new Date(T0) });
    const run = w.runOnce();
    await attemptStarted;
    clock.advance(9000);
    assert.equal(await run, 1);
    assert.equal((await getDelivery(db, item.id))!.state, 'pending');
  });

  it('dead-letters at the 24 h deadline, and a replayed dead letter is delivered', async () => {
    const clock = new ManualClock(T0);
    let up = false;
    const w = worker({ clock, random: () => 0.5, deliver: async () => (up ? { kind: 'delivered', status: 201 } : { kind: 'transient', error: 'network error ECONNREFUSED' }) });
    const dead: number[] = [];
    w.on('dead-letter', ({ item }) => dead.push(item.id));
    const { item } = await enqueue(db, { destination: '1c', operation: 'op', payload: {}, now: new Date(T0), deadlineMs: 30_000 });
    await w.runOnce();
    const row = (await getDelivery(db, item.id))!;
    assert.equal(row.nextAttemptAt.getTime(), T0 + 30_000, 'last try at the deadline');
    clock.jumpTo(T0 + 30_000);
    await w.runOnce();
    assert.equal((await getDelivery(db, item.id))!.state, 'dead');
    assert.deepEqual(dead, [item.id]);

    up = true;
    const replayed = await replayDead(db, item.id, { now: new Date(clock.now()) });
    assert.equal(replayed.attempt, 0);
    await w.runOnce();
    const done = (await getDelivery(db, item.id))!;
    assert.deepEqual([done.state, done.attempt, done.replays, done.lastStatus], ['delivered', 1, 1, 201]);
  });

  it('stops cleanly: no timer left, in-flight calls aborted after the grace period', async () => {
    let outstanding = 0;
    const counting: Clock = {
      now: () => Date.now(),
      setTimeout: (fn, ms) => {
        outstanding++;
        const h = systemClock.setTimeout(() => {
          outstanding--;
          fn();
        }, ms);
        return h;
      },
      clearTimeout: (h: TimerHandle) => {
        outstanding--;
        systemClock.clearTimeout(h);
      },
    };
    const w = worker({
      clock: counting,
      pollMs: 20,
      stopGraceMs: 100,
      deliver: (_i, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    const { item } = await enqueue(db, { destination: 'b24', operation: 'op', payload: {} });
    w.start();
    await new Promise((r) => setTimeout(r, 150));
    const started = Date.now();
    await w.stop();
    assert.ok(Date.now() - started < 2000);
    assert.equal(outstanding, 0);
    assert.equal(w.isRunning, false);
    const row = (await getDelivery(db, item.id))!;
    assert.equal(row.state, 'pending');
    assert.match(row.lastError ?? '', /worker stopping/);
  });
});
