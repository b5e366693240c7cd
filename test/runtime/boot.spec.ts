import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { DEFAULT_DEMO_PASSWORD } from '../../src/mqtt/demo-devices';
import { adminToken, bootRuntime, TEST_ADMIN, type TestRuntime } from '../support/runtime';

describe('middleware runtime (real Node-RED, PostgreSQL, MQTT)', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await bootRuntime();
  });

  it('answers /healthz and /readyz once the flows run', async () => {
    const health = await fetch(`${rt.baseUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.ok(health.headers.get('x-correlation-id'), 'every response carries a correlation id');
    const ready = await fetch(`${rt.baseUrl}/readyz`);
    const body = (await ready.json()) as { status: string; checks: { name: string; ok: boolean }[] };
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.deepEqual(body.checks.map((c) => [c.name, c.ok]), [
      ['accepting', true],
      ['database', true],
      ['mqtt', true],
      ['flows', true],
    ]);
  });

  it('keeps the editor API behind a login', async () => {
    const anonymous = await fetch(`${rt.baseUrl}/flows`);
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${rt.baseUrl}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', username: TEST_ADMIN.username, password: 'nope' }),
    });
    assert.equal(wrong.status, 403);
    const token = await adminToken(rt.baseUrl);
    const flows = await fetch(`${rt.baseUrl}/flows`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(flows.status, 200);
  });

  it('loads our node package into the palette', async () => {
    const token = await adminToken(rt.baseUrl);
    const res = await fetch(`${rt.baseUrl}/nodes`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    const sets = (await res.json()) as { module: string; types: string[] }[];
    const ours = sets.filter((s) => s.module === '@spareparts/node-red-mw').flatMap((s) => s.types);
    assert.ok(ours.includes('mw-config'), `our types: ${ours.join(', ')}`);
  });

  it('lets a device with its credentials on the broker and refuses one without', async () => {
    const url = `mqtt://127.0.0.1:${rt.mw.mqttPort}`;
    const device = await mqtt.connectAsync(url, { clientId: 'scanner-001', username: 'scanner-001', password: process.env.MQTT_DEMO_PASSWORD || DEFAULT_DEMO_PASSWORD, reconnectPeriod: 0 });
    assert.equal(device.connected, true);
    await device.endAsync();
    await assert.rejects(mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000 }));
    await assert.rejects(mqtt.connectAsync(url, { username: 'scanner-001', password: 'wrong', reconnectPeriod: 0, connectTimeout: 3000 }));
  });
});
