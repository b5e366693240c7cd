import assert from 'node:assert/strict';
import express from 'express';
import { FakeServer } from '../../sandbox/harness';

function echoFake(random?: () => number): FakeServer {
  const fake = new FakeServer({ name: 'echo', random, errorBody: (status) => ({ error: 'X', error_description: `status ${status}` }) });
  fake.app.post('/echo', express.json(), (req, res) => {
    res.json({ result: req.body });
  });
  return fake;
}

describe('sandbox harness', () => {
  let fake: FakeServer;
  afterEach(() => fake?.stop());

  it('serves the fake on loopback and records each request with its body', async () => {
    fake = echoFake();
    const url = await fake.start();
    const res = await fetch(`${url}/echo?x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.deepEqual(await res.json(), { result: { a: 1 } });
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0].path, '/echo');
    assert.deepEqual(fake.requests[0].query, { x: '1' });
    assert.deepEqual(fake.requests[0].body, { a: 1 });
  });

  it('injects latency, an error rate and a full outage', async () => {
    let next = 0;
    const rolls = [0.1, 0.9];
    fake = echoFake(() => rolls[next++ % rolls.length]);
    const url = await fake.start();
    const post = () => fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

    fake.setFaults({ latencyMs: 120 });
    const t = performance.now();
    assert.equal((await post()).status, 200);
    assert.ok(performance.now() - t >= 110, 'latency applied');

    fake.setFaults({ errorRate: 0.5, errorStatus: 502 });
    const failed = await post();
    assert.equal(failed.status, 502);
    assert.deepEqual(await failed.json(), { error: 'X', error_description: 'status 502' });
    assert.equal((await post()).status, 200);

    fake.setFaults({ outage: true });
    assert.equal((await post()).status, 503);
    fake.setFaults({ outage: true, dropConnections: true });
    await assert.rejects(post());
  });

  it('is driven through its control routes too', async () => {
    fake = echoFake();
    const url = await fake.start();
    await fetch(`${url}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"outage":true}' });
    assert.equal((await fetch(`${url}/echo`, { method: 'POST' })).status, 503);
    const log = (await (await fetch(`${url}/__sandbox/requests`)).json()) as { requests: unknown[] };
    assert.equal(log.requests.length, 1, 'control calls are not recorded as traffic');
    await fake.stop();
    await assert.rejects(fetch(`${url}/echo`, { method: 'POST' }));
  });
});
