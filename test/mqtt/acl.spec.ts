import assert from 'node:assert/strict';
import {
  INTERNAL_PRINCIPAL,
  canPublish,
  canSubscribe,
  canUseClientId,
  devicePrincipal,
  deviceTopicRoot,
  isValidDeviceId,
  isValidTopicFilter,
  isValidTopicName,
} from '../../src/mqtt/acl';

const s1 = devicePrincipal('scanner-001');

describe('mqtt acl', () => {
  describe('device ids', () => {
    for (const id of ['scanner-001', 'a', 'A.b_c-9', 'x'.repeat(64), '001']) {
      it(`accepts ${JSON.stringify(id)}`, () => assert.equal(isValidDeviceId(id), true));
    }
    for (const id of ['', '-x', '.x', '_x', 'a/b', 'a+b', 'a#', '$SYS', 'a b', 'a:b', 'x'.repeat(65), 'сканер', 'a\u0000']) {
      it(`refuses ${JSON.stringify(id)}`, () => assert.equal(isValidDeviceId(id), false));
    }
    it('builds the topic root and refuses to build one from a bad id', () => {
      assert.equal(deviceTopicRoot('scanner-001'), 'devices/scanner-001');
      assert.throws(() => deviceTopicRoot('a/+'), RangeError);
    });
  });

  describe('topic syntax', () => {
    it('topic names', () => {
      assert.equal(isValidTopicName('devices/x/scan'), true);
      assert.equal(isValidTopicName('/'), true);
      for (const t of ['', 'a/+', 'a/#', 'a+b', 'a\u0000b']) assert.equal(isValidTopicName(t), false, t);
    });
    it('topic filters', () => {
      for (const t of ['#', '+', 'a/#', 'a/+/b', '+/+', 'a//b', '/']) assert.equal(isValidTopicFilter(t), true, t);
      for (const t of ['', 'a/#/b', 'a#', 'a/b#', 'a+/b', 'a/+b', '##', 'a\u0000']) assert.equal(isValidTopicFilter(t), false, t);
    });
  });

  describe('device publish', () => {
    const allowed = ['devices/scanner-001', 'devices/scanner-001/scan', 'devices/scanner-001/backpack/put', 'devices/scanner-001/', 'devices/scanner-001//x'];
    const refused = [
      'devices/scanner-002/scan',
      'devices/scanner-0011/scan', // prefix of another id is not "inside"
      'devices/scanner-00',
      'devices/scanner-001x',
      'devices',
      'devices/',
      'Devices/scanner-001/scan',
      '/devices/scanner-001/scan',
      'scanner-001',
      '$SYS/broker/x',
      'devices/scanner-001/#',
      'devices/scanner-001/+',
      'orders/1',
      '',
    ];
    for (const t of allowed) it(`allows ${JSON.stringify(t)}`, () => assert.equal(canPublish(s1, t), true));
    for (const t of refused) it(`refuses ${JSON.stringify(t)}`, () => assert.equal(canPublish(s1, t), false));
  });

  describe('device subscribe', () => {
    const allowed = [
      'devices/scanner-001',
      'devices/scanner-001/#',
      'devices/scanner-001/+',
      'devices/scanner-001/+/ack',
      'devices/scanner-001/cmd/#',
      'devices/scanner-001/cmd',
    ];
    const refused = [
      '#',
      '+',
      '+/#',
      '+/scanner-001/#',
      '+/+/#',
      'devices/#',
      'devices/+',
      'devices/+/#',
      'devices/+/scan',
      'devices/scanner-002/#',
      'devices/scanner-0011/#',
      'devices/scanner-001x/#',
      'devices/scanner-00+/#',
      'devices',
      '$SYS/#',
      '$share/g/devices/scanner-001/#',
      'devices/scanner-001/#/x', // malformed
      'devices/scanner-001/a+',
      '',
    ];
    for (const t of allowed) it(`allows ${JSON.stringify(t)}`, () => assert.equal(canSubscribe(s1, t), true));
    for (const t of refused) it(`refuses ${JSON.stringify(t)}`, () => assert.equal(canSubscribe(s1, t), false));
  });

  describe('a principal with a bad device id', () => {
    it('gets nothing (defence in depth: ids come from the database)', () => {
      const bad = devicePrincipal('x/+');
      assert.equal(canPublish(bad, 'devices/x/+/a'), false);
      assert.equal(canSubscribe(bad, 'devices/x/+/#'), false);
      assert.equal(canSubscribe(devicePrincipal('#'), 'devices/#'), false);
      assert.equal(canUseClientId(bad, 'x/+'), false);
    });
  });

  describe('internal client', () => {
    it('may publish anywhere except $SYS', () => {
      for (const t of ['devices/scanner-001/cmd', 'orders/1', 'a', '/']) assert.equal(canPublish(INTERNAL_PRINCIPAL, t), true, t);
      for (const t of ['$SYS/x/heartbeat', '$SYS', 'a/#', '']) assert.equal(canPublish(INTERNAL_PRINCIPAL, t), false, t);
    });
    it('may subscribe to anything well-formed', () => {
      for (const t of ['#', 'devices/#', 'devices/+/scan', '$SYS/#', '+']) assert.equal(canSubscribe(INTERNAL_PRINCIPAL, t), true, t);
      assert.equal(canSubscribe(INTERNAL_PRINCIPAL, 'a/#/b'), false);
    });
  });

  describe('client ids', () => {
    it('a device uses its own id or {id}:{suffix}', () => {
      assert.equal(canUseClientId(s1, 'scanner-001'), true);
      assert.equal(canUseClientId(s1, 'scanner-001:ui'), true);
      for (const id of ['scanner-002', 'scanner-0011', 'scanner-001:', 'scanner-00', 'mw-internal', `scanner-001:${'x'.repeat(200)}`, '']) {
        assert.equal(canUseClientId(s1, id), false, id);
      }
    });
    it('the internal client uses any id', () => assert.equal(canUseClientId(INTERNAL_PRINCIPAL, 'scanner-001'), true));
  });
});
