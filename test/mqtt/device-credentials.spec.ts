import assert from 'node:assert/strict';
import type { Knex } from '../../src/db/database';
import { CredentialStoreBusyError, DeviceCredentialError, DeviceCredentialStore } from '../../src/mqtt/device-credentials';
import { DEFAULT_DEMO_PASSWORD, ensureDemoDevices } from '../../src/mqtt/demo-devices';
import { StartupError } from '../../src/errors';
import { createTestDatabase } from '../support/postgres';
import { captureLogger } from './helpers';

describe('mqtt device credentials (PostgreSQL)', () => {
  let db: Knex;
  let drop: () => Promise<void>;

  before(async () => {
    ({ db, drop } = await createTestDatabase('mw_mqtt_cred'));
  });
  after(async () => {
    await drop?.();
  });
  beforeEach(async () => {
    await db('mqtt_devices').delete();
  });

  it('creates a device, stores only a scrypt hash, and verifies it', async () => {
    const store = new DeviceCredentialStore(db);
    const created = await store.createDevice({ deviceId: 'scanner-001', password: 'secret-001-pass', description: 'Courier Ivan' });
    assert.equal(created.deviceId, 'scanner-001');
    assert.equal(created.username, 'scanner-001', 'username defaults to the device id');
    assert.equal(created.kind, 'scanner');
    assert.equal(created.enabled, true);
    assert.ok(created.createdAt instanceof Date);
    assert.equal(created.lastSeenAt, null);

    const row = await db('mqtt_devices').where({ device_id: 'scanner-001' }).first();
    assert.match(row.password_hash, /^scrypt\$16384\$8\$1\$[^$]+\$[^$]+$/);
    assert.ok(!row.password_hash.includes('secret-001-pass'));

    assert.equal(await store.verify('scanner-001', 'secret-001-pass'), 'scanner-001');
    assert.equal(await store.verify('scanner-001', Buffer.from('secret-001-pass')), 'scanner-001');
    assert.equal(await store.verify('scanner-001', 'secret-001-pasS'), null);
    assert.equal(await store.verify('scanner-001', ''), null);
    assert.equal(await store.verify('nobody', 'secret-001-pass'), null);
    assert.equal(await store.verify('', 'secret-001-pass'), null);
  });

  it('supports a username different from the device id', async () => {
    const store = new DeviceCredentialStore(db);
    await store.createDevice({ deviceId: 'scanner-007', username: 'courier.petrov', password: 'secret-007-pass', kind: 'scanner' });
    assert.equal(await store.verify('courier.petrov', 'secret-007-pass'), 'scanner-007');
    assert.equal(await store.verify('scanner-007', 'secret-007-pass'), null, 'the device id is not a username here');
  });

  it('refuses invalid input and duplicates with DeviceCredentialError', async () => {
    const store = new DeviceCredentialStore(db);
    await store.createDevice({ deviceId: 'scanner-001', password: 'secret-001-pass' });
    const invalid: Parameters<DeviceCredentialStore['createDevice']>[0][] = [
      { deviceId: 'a/b', password: 'long-enough' },
      { deviceId: '+', password: 'long-enough' },
      { deviceId: '', password: 'long-enough' },
      { deviceId: 'ok-1', password: 'short' },
      { deviceId: 'ok-2', username: 'has space', password: 'long-enough' },
      { deviceId: 'ok-3', password: 'long-enough', kind: 'Bad Kind' },
    ];
    for (const device of invalid) {
      await assert.rejects(store.createDevice(device), (e: unknown) => e instanceof DeviceCredentialError && e.code === 'invalid', JSON.stringify(device));
    }
    await assert.rejects(store.createDevice({ deviceId: 'scanner-001', password: 'another-pass' }), (e: unknown) => e instanceof DeviceCredentialError && e.code === 'duplicate');
    await assert.rejects(
      store.createDevice({ deviceId: 'scanner-009', username: 'scanner-001', password: 'another-pass' }),
      (e: unknown) => e instanceof DeviceCredentialError && e.code === 'duplicate',
      'usernames are unique too',
    );
    assert.equal((await store.listDevices()).length, 1);
  });

  it('refuses disabled devices at once, even with a cached verification', async () => {
    const store = new DeviceCredentialStore(db);
    await store.createDevice({ deviceId: 'scanner-001', password: 'secret-001-pass' });
    assert.equal(await store.verify('scanner-001', 'secret-001-pass'), 'scanner-001');
    assert.equal(await store.setEnabled('scanner-001', false), true);
    assert.equal(await store.verify('scanner-001', 'secret-001-pass'), null);
    assert.equal(await store.setEnabled('scanner-001', true), true);
    assert.equal(await store.verify('scanner-001', 'secret-001-pass'), 'scanner-001');
    assert.equal(await store.setEnabled('nope', false), false);
  });

  it('sees a device disabled by another process (another store instance) without waiting for the cache', async () => {
    const broker = new DeviceCredentialStore(db);
    const admin = new DeviceCredentialStore(db);
    await admin.createDevice({ deviceId: 'scanner-001', password: 'secret-001-pass' });
    assert.equal(await broker.verify('scanner-001', 'secret-001-pass'), 'scanner-001');
    await admin.setEnabled('scanner-001', false);
    assert.equal(await broker.verify('scanner-001', 'secret-001-pass'), null);
    await admin.setEnabled('scanner-001', true);
    await admin.setPassword('scanner-001', 'rotated-pass-1');
    assert.equal(await broker.verify('scanner-001', 'secret-001-pass'), null, 'old password stops working at once');
    assert.equal(await broker.verify('scanner-001', 'rotated-pass-1'), 'scanner-001');
  });

  it('caches successful verifications so reconnect storms cost one scrypt, and expires them', async () => {
    let clock = 1_000_000;
    const store = new DeviceCredentialStore(db, { cacheTtlMs: 30_000, now: () => clock });
    await store.createDevice({ deviceId: 'scanner-001', password: 'secret-001-pass' });

    // 50 simultaneous reconnects of the same device: a single scrypt run.
    const results = await Promise.all(Array.from({ length: 50 }, () => store.verify('scanner-001', 'secret-001-pass')));
    assert.deepEqual(new Set(results), new Set(['scanner-001']));
    assert.equal(store.stats().hashesComputed, 1);

    // (some of the 50 may already have been cache hits: they queue for a pool connection)
    const hitsBefore = store.stats().cacheHits;
    for (let i = 0; i < 10; i++) assert.equal(await store.verify('scanner-001', 'secret-001-pass'), 'scanner-001');
    assert.equal(store.stats().hashesComputed, 1);
    assert.equal(store.stats().cacheHits - hitsBefore, 10);

    // a wrong password is never answered from the cache, and does not evict the good entry
    assert.equal(await store.verify('scanner-001', 'wrong-password'), null);
    assert.equal(store.stats().hashesComputed, 2);
    assert.equal(await store.verify('scanner-001', 'secret-001-pass'), 'scanner-001');
    assert.equal(store.stats().hashesComputed, 2);

    clock += 30_001;
    assert.equal(await store.verify('scanner-001', 'secret-001-pass'), 'scanner-001');
    assert.equal(store.stats().hashesComputed, 3, 'expired entry means a fresh scrypt');

    store.clearCache();
    assert.equal(store.stats().cacheSize, 0);
  });

  it('bounds the cache size', async () => {
    const store = new DeviceCredentialStore(db, { cacheMaxEntries: 2 });
    for (const id of ['d1', 'd2', 'd3']) await store.createDevice({ deviceId: id, password: `password-${id}` });
    for (const id of ['d1', 'd2', 'd3']) await store.verify(id, `password-${id}`);
    assert.equal(store.stats().cacheSize, 2);
    const before = store.stats().hashesComputed;
    await store.verify('d1', 'password-d1'); // evicted (oldest): hashes again
    assert.equal(store.stats().hashesComputed, before + 1);
  });

  it('limits concurrent scrypt runs and says "busy" past the queue limit', async () => {
    const store = new DeviceCredentialStore(db, { maxConcurrentHashes: 1, maxQueuedHashes: 1, cacheTtlMs: 0 });
    await store.createDevice({ deviceId: 'scanner-001', password: 'secret-001-pass' });
    const attempts = await Promise.allSettled(['wrong-1-pass', 'wrong-2-pass', 'wrong-3-pass', 'wrong-4-pass'].map((p) => store.verify('scanner-001', p)));
    const busy = attempts.filter((a) => a.status === 'rejected' && a.reason instanceof CredentialStoreBusyError);
    const answered = attempts.filter((a) => a.status === 'fulfilled' && a.value === null);
    assert.equal(answered.length, 2, 'one running + one queued');
    assert.equal(busy.length, 2);
    assert.equal(await store.verify('scanner-001', 'secret-001-pass'), 'scanner-001', 'the limiter frees its slots');
  });

  it('records last_seen_at', async () => {
    const store = new DeviceCredentialStore(db);
    await store.createDevice({ deviceId: 'scanner-001', password: 'secret-001-pass' });
    const at = new Date('2026-11-26T10:00:00Z');
    await store.touchLastSeen('scanner-001', at);
    assert.equal((await store.getDevice('scanner-001'))?.lastSeenAt?.toISOString(), at.toISOString());
    await store.touchLastSeen('unknown'); // no error for an unknown device
    assert.equal(await store.getDevice('unknown'), undefined);
  });

  describe('demo devices', () => {
    it('creates scanner-001 and scanner-002 with the documented default password, idempotently', async () => {
      const { log, lines } = captureLogger('info');
      const store = new DeviceCredentialStore(db);
      assert.deepEqual(await ensureDemoDevices(store, log, { production: false }), ['scanner-001', 'scanner-002']);
      assert.equal(await store.verify('scanner-001', DEFAULT_DEMO_PASSWORD), 'scanner-001');
      assert.equal(await store.verify('scanner-002', DEFAULT_DEMO_PASSWORD), 'scanner-002');
      assert.equal(lines.filter((l) => l.msg === 'mqtt demo devices ready').length, 1);
      assert.ok(!JSON.stringify(lines).includes(DEFAULT_DEMO_PASSWORD), 'the password is not logged');

      await ensureDemoDevices(store, log, { production: false });
      assert.equal((await store.listDevices()).length, 2);
      assert.equal(lines.filter((l) => l.msg === 'mqtt demo devices ready').length, 1, 'nothing to do the second time');
    });

    it('applies a changed MQTT_DEMO_PASSWORD, and keeps disabled demo devices disabled', async () => {
      const { log } = captureLogger('warn');
      const store = new DeviceCredentialStore(db);
      await ensureDemoDevices(store, log, { production: false });
      await store.setEnabled('scanner-002', false);
      const saved = process.env.MQTT_DEMO_PASSWORD;
      process.env.MQTT_DEMO_PASSWORD = 'changed-demo-pass';
      try {
        await ensureDemoDevices(store, log, { production: false });
      } finally {
        if (saved === undefined) delete process.env.MQTT_DEMO_PASSWORD;
        else process.env.MQTT_DEMO_PASSWORD = saved;
      }
      assert.equal(await store.verify('scanner-001', 'changed-demo-pass'), 'scanner-001');
      assert.equal(await store.verify('scanner-001', DEFAULT_DEMO_PASSWORD), null);
      assert.equal((await store.getDevice('scanner-002'))?.enabled, false);
    });

    it('refuses the public default password in production', async () => {
      const { log } = captureLogger('warn');
      const store = new DeviceCredentialStore(db);
      await assert.rejects(ensureDemoDevices(store, log, { production: true, password: DEFAULT_DEMO_PASSWORD }), (e: unknown) => {
        assert.ok(e instanceof StartupError);
        assert.match(e.line, /default password in production .* MQTT_DEMO_DEVICES=0/);
        return true;
      });
      assert.equal((await store.listDevices()).length, 0);
      await ensureDemoDevices(store, log, { production: true, password: 'a-real-secret-123' });
      assert.equal(await store.verify('scanner-001', 'a-real-secret-123'), 'scanner-001');
    });
  });
});
