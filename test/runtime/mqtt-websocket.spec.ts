import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { DEFAULT_DEMO_PASSWORD } from '../../src/mqtt/demo-devices';
import { adminToken, bootRuntime, type TestRuntime } from '../support/runtime';
import { collect, connect, end, waitFor } from '../mqtt/helpers';

/**
 * The real thing: Node-RED's editor WebSocket (/comms, @node-red/editor-api) and MQTT over
 * WebSocket (/mqtt) share the middleware's one HTTP server.
 */
describe('mqtt over WebSocket next to the Node-RED editor (real runtime)', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await bootRuntime();
  });

  it('serves /mqtt and the editor /comms on the same HTTP server at the same time', async () => {
    const wsBase = rt.baseUrl.replace(/^http/, 'ws');
    const internal = rt.mw.services.mqtt;
    const mw = await connect(internal.url, { clientId: 'mw-test-ws-observer', username: internal.username, password: internal.password });
    const device = await connect(`${wsBase}/mqtt`, {
      clientId: 'scanner-002',
      username: 'scanner-002',
      password: process.env.MQTT_DEMO_PASSWORD || DEFAULT_DEMO_PASSWORD,
    });
    const comms = new WebSocket(`${wsBase}/comms`);
    try {
      const seen = collect(mw);
      await mw.subscribeAsync('devices/scanner-002/#', { qos: 1 });

      await once(comms, 'open');
      comms.send(JSON.stringify({ auth: await adminToken(rt.baseUrl) }));
      const [reply] = (await once(comms, 'message')) as [Buffer];
      assert.deepEqual(JSON.parse(reply.toString()), { auth: 'ok' });

      await device.publishAsync('devices/scanner-002/scan', 'over ws', { qos: 1 });
      await waitFor(() => seen.length === 1, 3000, 'the scan to arrive');
      assert.deepEqual(seen[0], { topic: 'devices/scanner-002/scan', payload: 'over ws' });
      assert.equal(comms.readyState, WebSocket.OPEN, 'the editor connection is unaffected');
    } finally {
      comms.terminate();
      await end(device, mw);
    }
  });
});
