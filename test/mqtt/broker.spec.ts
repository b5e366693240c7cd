import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { MqttClient } from 'mqtt';
import type { Knex } from '../../src/db/database';
import { StartupError } from '../../src/errors';
import { attachMqttWebSocket, startBroker, type RunningBroker } from '../../src/mqtt/broker';
import { DeviceCredentialStore } from '../../src/mqtt/device-credentials';
import { createTestDatabase } from '../support/postgres';
import { captureLogger, closed, collect, connect, connectError, end, sleep, subscribeGranted, waitFor, type LogLine } from './helpers';

const INTERNAL = { username: 'mw-internal', password: 'internal-secret-for-tests' };
const PW1 = 'secret-001-pass';
const PW2 = 'secret-002-pass';

describe('mqtt broker (real sockets, PostgreSQL)', function () {
  let db: Knex;
  let drop: () => Promise<void>;
  let store: DeviceCredentialStore;
  let broker: RunningBroker;
  let lines: LogLine[];
  let logText: () => string;
  const clients: MqttClient[] = [];

  const device = async (id: string, password: string, extra: Parameters<typeof connect>[1] = {}): Promise<MqttClient> => {
    const c = await connect(broker.url, { clientId: id, username: id, password, ...extra });
    clients.push(c);
    return c;
  };
  const internal = async (clientId = 'mw-test-internal'): Promise<MqttClient> => {
    const c = await connect(broker.url, { clientId, ...INTERNAL });
    clients.push(c);
    return c;
  };

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_mqtt_broker'));
    store = new DeviceCredentialStore(db);
    await store.createDevice({ deviceId: 'scanner-001', password: PW1 });
    await store.createDevice({ deviceId: 'scanner-002', password: PW2 });
    await store.createDevice({ deviceId: 'scanner-003', password: 'secret-003-pass', enabled: false });
  });
  after(async () => {
    await drop?.();
  });
  beforeEach(async () => {
    const captured = captureLogger('debug');
    lines = captured.lines;
    logText = captured.text;
    broker = await startBroker({ tcpPort: 0, host: '127.0.0.1', credentials: store, internal: INTERNAL, log: captured.log });
  });
  afterEach(async () => {
    await end(...clients.splice(0));
    await broker.close();
  });

  describe('authentication', () => {
    it('lets a device with the right credentials in, records last_seen_at, logs the device id at debug', async () => {
      await db('mqtt_devices').update({ last_seen_at: null });
      const c = await device('scanner-001', PW1);
      assert.equal(c.connected, true);
      await waitFor(() => broker.stats().devices === 1, 3000, 'device registered');
      assert.equal(broker.stats().clients, 1);
      await waitFor(() => lines.some((l) => l.msg === 'mqtt client connected' && l.deviceId === 'scanner-001' && l.level === 'debug'));
      const seen = async (): Promise<Date | null> => (await store.getDevice('scanner-001'))!.lastSeenAt;
      const until = Date.now() + 3000;
      while (!(await seen()) && Date.now() < until) await sleep(20);
      assert.ok(await seen(), 'last_seen_at is set on connect');
    });

    it('refuses a wrong password and an unknown user with "bad username or password"', async () => {
      const wrong = await connectError(broker.url, { clientId: 'scanner-001', username: 'scanner-001', password: 'wrong-password' });
      assert.equal(wrong.code, 4);
      assert.match(wrong.message, /bad user ?name or password/i);
      const unknown = await connectError(broker.url, { clientId: 'ghost', username: 'ghost', password: 'whatever-pass' });
      assert.equal(unknown.code, 4);
      assert.equal(broker.stats().authFailures, 2);
    });

    it('refuses a connect without credentials, and one with a username but no password', async () => {
      const none = await connectError(broker.url, { clientId: 'anon' });
      assert.equal(none.code, 5);
      assert.match(none.message, /not authorized/i);
      const noPassword = await connectError(broker.url, { clientId: 'scanner-001', username: 'scanner-001' });
      assert.equal(noPassword.code, 4);
    });

    it('refuses a disabled device, and a device disabled after it connected cannot reconnect', async () => {
      assert.equal((await connectError(broker.url, { clientId: 'scanner-003', username: 'scanner-003', password: 'secret-003-pass' })).code, 4);
      const c = await device('scanner-002', PW2);
      await c.endAsync();
      await store.setEnabled('scanner-002', false);
      try {
        assert.equal((await connectError(broker.url, { clientId: 'scanner-002', username: 'scanner-002', password: PW2 })).code, 4);
      } finally {
        await store.setEnabled('scanner-002', true);
      }
    });

    it('refuses the internal username with a wrong secret (no fallback to the device table)', async () => {
      const e = await connectError(broker.url, { clientId: 'x', username: INTERNAL.username, password: 'guess' });
      assert.equal(e.code, 4);
    });

    it('logs authentication failures at warn, with the username and never the password', async () => {
      await connectError(broker.url, { clientId: 'scanner-001', username: 'scanner-001', password: 'hunter2-wrong' });
      const warn = lines.find((l) => l.msg === 'mqtt authentication failed');
      assert.ok(warn);
      assert.equal(warn.level, 'warn');
      assert.equal(warn.username, 'scanner-001');
      assert.ok(!logText().includes('hunter2-wrong'));
      assert.ok(!logText().includes(INTERNAL.password));
    });

    it('does not let a device take over another device\'s client id (session)', async () => {
      const victim = await device('scanner-001', PW1);
      const e = await connectError(broker.url, { clientId: 'scanner-001', username: 'scanner-002', password: PW2 });
      assert.equal(e.code, 2, 'identifier rejected');
      await sleep(100);
      assert.equal(victim.connected, true, 'scanner-001 is still connected');
      // its own id, "{id}:{suffix}" and a broker-assigned (empty) id are fine
      await (await device('scanner-002', PW2)).endAsync();
      await (await device('scanner-002:ui', PW2, { username: 'scanner-002' })).endAsync();
      await (await connect(broker.url, { clientId: '', clean: true, username: 'scanner-002', password: PW2 })).endAsync();
    });

    it('answers verifications of a reconnecting device from the cache (one scrypt per password)', async () => {
      store.clearCache();
      const before = store.stats().hashesComputed;
      for (let i = 0; i < 5; i++) await (await device('scanner-001', PW1)).endAsync();
      assert.equal(store.stats().hashesComputed - before, 1);
    });

    it('refuses MQTT 5 clients: aedes 1.x speaks MQTT 3.1/3.1.1 only', async () => {
      const e = await connectError(broker.url, { clientId: 'scanner-001', username: 'scanner-001', password: PW1, protocolVersion: 5 });
      assert.equal(e.code, 1);
      assert.match(e.message, /unacceptable protocol version/i);
      await waitFor(() => lines.some((l) => l.level === 'warn' && /unsupported protocol version/.test(l.msg)), 2000, 'the warning');
    });
  });

  describe('topics', () => {
    it('delivers a device publish in its own tree to an internal subscriber, and internal commands to the device', async () => {
      const mw = await internal();
      const fromDevices = collect(mw);
      await mw.subscribeAsync('devices/+/scan', { qos: 1 });

      const scanner = await device('scanner-001', PW1);
      const toDevice = collect(scanner);
      const granted = await scanner.subscribeAsync('devices/scanner-001/cmd/#', { qos: 1 });
      assert.deepEqual(granted.map((g) => g.qos), [1]);

      await scanner.publishAsync('devices/scanner-001/scan', '{"barcode":"4601234567890"}', { qos: 1 });
      await waitFor(() => fromDevices.length === 1, 3000, 'internal receives the scan');
      assert.deepEqual(fromDevices[0], { topic: 'devices/scanner-001/scan', payload: '{"barcode":"4601234567890"}' });

      await mw.publishAsync('devices/scanner-001/cmd/beep', 'ok', { qos: 1 });
      await waitFor(() => toDevice.length === 1, 3000, 'device receives the command');
      assert.equal(toDevice[0].topic, 'devices/scanner-001/cmd/beep');
      assert.equal(broker.stats().messagesIn >= 2, true);
    });

    for (const qos of [0, 1] as const) {
      it(`does not deliver a device publish (QoS ${qos}) to another device's topic, and disconnects the publisher`, async () => {
        const mw = await internal();
        const seen = collect(mw);
        await mw.subscribeAsync('#', { qos: 1 });
        const other = await device('scanner-002', PW2);
        const otherSeen = collect(other);
        await other.subscribeAsync('devices/scanner-002/#');

        const intruder = await device('scanner-001', PW1);
        const gone = closed(intruder);
        intruder.publish('devices/scanner-002/cmd/unlock', 'evil', { qos });
        await gone;
        await sleep(200);
        assert.deepEqual(seen.filter((m) => !m.topic.startsWith('$SYS')), []);
        assert.deepEqual(otherSeen, []);
        assert.equal(broker.stats().publishDenied, 1);
        assert.ok(lines.some((l) => l.msg === 'mqtt publish refused' && l.level === 'warn' && l.deviceId === 'scanner-001'));
      });
    }

    it('refuses subscriptions outside the device tree with granted QoS 128 and keeps the connection', async () => {
      const scanner = await device('scanner-001', PW1);
      const received = collect(scanner);
      const filters = ['devices/#', 'devices/scanner-002/#', '#', '+/scanner-001/#', 'devices/+/scan', '$SYS/#', 'devices/scanner-001/#'];
      const granted = await subscribeGranted(scanner, filters);
      assert.deepEqual(Object.fromEntries(filters.map((f, i) => [f, granted[i]])), {
        'devices/#': 128,
        'devices/scanner-002/#': 128,
        '#': 128,
        '+/scanner-001/#': 128,
        'devices/+/scan': 128,
        '$SYS/#': 128,
        'devices/scanner-001/#': 1,
      });
      await sleep(50);
      assert.equal(scanner.connected, true);
      assert.equal(broker.stats().subscribeDenied, 6);

      const mw = await internal();
      await mw.publishAsync('devices/scanner-002/scan', 'not for you', { qos: 1 });
      await mw.publishAsync('orders/42', 'not for you', { qos: 1 });
      await mw.publishAsync('devices/scanner-001/cmd', 'for you', { qos: 1 });
      await waitFor(() => received.length >= 1);
      await sleep(200);
      assert.deepEqual(received.map((m) => m.topic), ['devices/scanner-001/cmd']);
    });

    it('a single refused filter in SUBSCRIBE does not break the connection', async () => {
      const scanner = await device('scanner-002', PW2);
      assert.deepEqual(await subscribeGranted(scanner, ['devices/scanner-001/cmd']), [128]);
      assert.equal(scanner.connected, true);
      await scanner.publishAsync('devices/scanner-002/ping', 'still here', { qos: 1 });
    });

    it('publishes a device will only inside its own tree', async () => {
      const mw = await internal();
      const seen = collect(mw);
      await mw.subscribeAsync('devices/#');
      const good = await device('scanner-001', PW1, { will: { topic: 'devices/scanner-001/status', payload: Buffer.from('offline'), qos: 1, retain: false } });
      const bad = await device('scanner-002', PW2, { will: { topic: 'devices/scanner-001/status', payload: Buffer.from('forged'), qos: 1, retain: false } });
      (good.stream as net.Socket).destroy();
      (bad.stream as net.Socket).destroy();
      await waitFor(() => seen.length >= 1);
      await sleep(200);
      assert.deepEqual(seen, [{ topic: 'devices/scanner-001/status', payload: 'offline' }]);
    });

    it('lets the internal client use any topic but not publish under $SYS', async () => {
      const a = await internal('mw-a');
      const seen = collect(a);
      await a.subscribeAsync('#');
      const b = await internal('mw-b');
      await b.publishAsync('orders/42/status', 'ready', { qos: 1 });
      await waitFor(() => seen.some((m) => m.topic === 'orders/42/status'));
      const gone = closed(b);
      b.publish('$SYS/fake/heartbeat', 'x');
      await gone;
    });
  });

  describe('WebSocket', () => {
    let server: http.Server;
    let port: number;
    let comms: WebSocketServer;
    let detach: () => void;

    /** What Node-RED's editor does for /comms: noServer ws + its own 'upgrade' listener that ignores other paths. */
    function addCommsListener(): void {
      server.on('upgrade', (req, socket, head) => {
        if (new URL(req.url ?? '/', 'http://x').pathname === '/comms') {
          comms.handleUpgrade(req, socket, head, (ws) => comms.emit('connection', ws, req));
        }
      });
    }

    async function startHttp(order: 'comms-first' | 'mqtt-first'): Promise<void> {
      server = http.createServer((_req, res) => res.end('http ok'));
      comms = new WebSocketServer({ noServer: true });
      comms.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo:${data.toString()}`)));
      // What @node-red/runtime adds: upgrades nobody answered are destroyed after a while (5 s there).
      server.on('upgrade', (_req, socket) => {
        socket.on('error', () => undefined);
        setTimeout(() => {
          if ((socket as net.Socket).bytesWritten === 0) socket.destroy();
        }, 1000).unref();
      });
      if (order === 'comms-first') addCommsListener();
      detach = attachMqttWebSocket(server, broker);
      if (order === 'mqtt-first') addCommsListener();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as net.AddressInfo).port;
    }

    afterEach(async () => {
      // The broker first: upgraded (WebSocket) sockets keep http.Server#close() pending, and
      // closeAllConnections() does not touch them.
      await end(...clients.splice(0));
      await broker.close();
      detach?.();
      for (const ws of comms?.clients ?? []) ws.terminate();
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    });

    async function echoOverComms(): Promise<string> {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/comms`);
      await once(ws, 'open');
      ws.send('hello');
      const [data] = (await once(ws, 'message')) as [Buffer];
      ws.close();
      return data.toString();
    }

    for (const order of ['comms-first', 'mqtt-first'] as const) {
      it(`serves MQTT at /mqtt while another WebSocket path on the same server keeps working (${order})`, async () => {
        await startHttp(order);
        const mw = await internal();
        const seen = collect(mw);
        await mw.subscribeAsync('devices/#');

        const wsDevice = await connect(`ws://127.0.0.1:${port}/mqtt`, { clientId: 'scanner-002', username: 'scanner-002', password: PW2 });
        clients.push(wsDevice);
        assert.equal(broker.stats().connections.ws, 1);
        await wsDevice.publishAsync('devices/scanner-002/scan', 'via websocket', { qos: 1 });
        await waitFor(() => seen.length === 1);
        assert.deepEqual(seen[0], { topic: 'devices/scanner-002/scan', payload: 'via websocket' });
        assert.ok(lines.some((l) => l.msg === 'mqtt client connected' && l.deviceId === 'scanner-002' && l.transport === 'ws'));

        assert.equal(await echoOverComms(), 'echo:hello');
        const res = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(await res.text(), 'http ok');

        // WebSocket clients are authenticated and confined like TCP ones
        const e = await connectError(`ws://127.0.0.1:${port}/mqtt`, { clientId: 'scanner-002', username: 'scanner-002', password: 'wrong-password' });
        assert.equal(e.code, 4);
        assert.deepEqual(await subscribeGranted(wsDevice, ['devices/#']), [128]);
      });
    }

    it('leaves upgrades for other paths to other listeners (neither answers nor destroys them)', async () => {
      await startHttp('mqtt-first');
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/elsewhere',
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' },
      });
      const events: string[] = [];
      req.on('upgrade', () => events.push('upgrade'));
      req.on('response', () => events.push('response'));
      req.on('error', () => events.push('error'));
      req.on('close', () => events.push('close'));
      req.end();
      await sleep(300);
      assert.equal(events.join(','), '', 'nobody touched the socket');
      await waitFor(() => events.includes('close'), 3000, 'the runtime-like listener to time it out');
    });

    it('does not crash when another listener already upgraded the same path', async () => {
      await startHttp('mqtt-first');
      const rogue = new WebSocketServer({ noServer: true });
      // registered first: a "websocket in" node configured on /mqtt, say
      server.prependListener('upgrade', (req, socket, head) => {
        if (req.url === '/mqtt') rogue.handleUpgrade(req, socket, head, () => undefined);
      });
      const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, 'mqtt');
      await once(ws, 'open');
      await waitFor(() => lines.some((l) => l.msg.startsWith('mqtt websocket upgrade failed')));
      ws.terminate();
      for (const c of rogue.clients) c.terminate();
    });

    it('closeWebSocketClients() lets the HTTP server close at once and leaves TCP clients connected', async () => {
      await startHttp('comms-first');
      const wsDevice = await connect(`ws://127.0.0.1:${port}/mqtt`, { clientId: 'scanner-001', username: 'scanner-001', password: PW1 });
      const tcpDevice = await device('scanner-002', PW2);
      const gone = closed(wsDevice);
      const started = Date.now();
      await broker.closeWebSocketClients();
      await new Promise((resolve) => server.close(resolve));
      await gone;
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      assert.equal(broker.stats().connections.ws, 0);
      assert.equal(tcpDevice.connected, true);
      await tcpDevice.publishAsync('devices/scanner-002/still', 'here', { qos: 1 });
      wsDevice.end(true);
    });

    it('close() ends WebSocket clients too, so the HTTP server can close', async () => {
      await startHttp('comms-first');
      const wsDevice = await connect(`ws://127.0.0.1:${port}/mqtt`, { clientId: 'scanner-001', username: 'scanner-001', password: PW1 });
      const gone = closed(wsDevice);
      const started = Date.now();
      await broker.close();
      await gone;
      await new Promise((resolve) => server.close(resolve)); // would hang while an upgraded socket is open
      assert.ok(Date.now() - started < 3000);
      wsDevice.end(true);
    });
  });

  describe('lifecycle', () => {
    it('close() finishes quickly with devices, internal clients and half-open sockets connected', async () => {
      const a = await device('scanner-001', PW1);
      const b = await device('scanner-002', PW2);
      const mw = await internal();
      await a.subscribeAsync('devices/scanner-001/#', { qos: 1 });
      const raw = net.connect(broker.tcpPort, '127.0.0.1'); // never sends CONNECT
      await once(raw, 'connect');
      const rawClosed = once(raw, 'close');
      assert.equal(broker.stats().connections.tcp, 4);

      const waits = [a, b, mw].map(closed);
      const started = Date.now();
      await broker.close();
      const took = Date.now() - started;
      await Promise.all([...waits, rawClosed]);
      assert.ok(took < 3000, `close took ${took} ms`);
      await broker.close(); // idempotent

      // the port is free again
      const probe = net.createServer();
      probe.listen(broker.tcpPort, '127.0.0.1');
      await once(probe, 'listening');
      await new Promise((resolve) => probe.close(resolve));
    });

    it('reports a busy port as a one-line StartupError naming MQTT_PORT', async () => {
      const { log } = captureLogger('warn');
      await assert.rejects(
        startBroker({ tcpPort: broker.tcpPort, host: '127.0.0.1', credentials: store, internal: INTERNAL, log }),
        (e: unknown) => {
          assert.ok(e instanceof StartupError);
          assert.equal(e.message, `MQTT port ${broker.tcpPort} is already in use`);
          assert.match(e.line, /set MQTT_PORT/);
          return true;
        },
      );
    });

    it('refuses to start without internal credentials', async () => {
      const { log } = captureLogger('warn');
      await assert.rejects(startBroker({ tcpPort: 0, credentials: store, internal: { username: 'mw', password: '' }, log }), StartupError);
    });

    it('exposes the url of the actual port and stats', async () => {
      assert.equal(broker.url, `mqtt://127.0.0.1:${broker.tcpPort}`);
      assert.ok(broker.tcpPort > 0);
      assert.deepEqual(broker.stats(), {
        clients: 0,
        devices: 0,
        internal: 0,
        connections: { tcp: 0, ws: 0 },
        authFailures: 0,
        publishDenied: 0,
        subscribeDenied: 0,
        messagesIn: 0,
      });
      await internal();
      await waitFor(() => broker.stats().internal === 1);
    });
  });
});
