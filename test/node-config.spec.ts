import assert from 'node:assert/strict';
import { migrateConfig, type ConfigMigration } from '../src/node-config/migrations';

interface V2 {
  version: number;
  url: string;
  timeoutMs: number;
}

const steps: ConfigMigration<V2>[] = [
  { to: 1, up: (c) => ({ ...c, url: c.url ?? c.endpoint }) },
  { to: 2, up: (c) => ({ ...c, timeoutMs: Number(c.timeout ?? 5) * 1000 }) },
];

describe('node config migrations', () => {
  it('brings an unversioned config through every step', () => {
    const out = migrateConfig<V2>('x', { endpoint: 'http://a', timeout: 3 }, steps);
    assert.equal(out.version, 2);
    assert.equal(out.url, 'http://a');
    assert.equal(out.timeoutMs, 3000);
  });

  it('applies only the steps newer than the saved version', () => {
    const out = migrateConfig<V2>('x', { version: 1, url: 'http://b', timeout: 1, timeoutMs: 777 }, [steps[0], { to: 2, up: (c) => ({ ...c, touched: true }) }]);
    assert.equal((out as unknown as { touched: boolean }).touched, true);
    assert.equal(out.timeoutMs, 777);
  });

  it('refuses a config saved by a newer node package', () => {
    assert.throws(() => migrateConfig('x', { version: 3 }, steps), /config version 3 is newer than this node package supports \(2\)/);
  });
});
