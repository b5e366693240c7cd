import assert from 'node:assert/strict';
import registerMwConfig, { type MwConfigNode } from '../../nodes/mw-config/mw-config';
import { createTestDatabase } from '../support/postgres';
import { helper, testServices, useServices } from '../support/node-helper';
import type { Knex } from 'knex';

describe('mw-config node', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  before(async () => {
    ({ db, drop } = await createTestDatabase());
  });
  after(() => drop());
  afterEach(() => helper.unload());

  it('hands the process database to other nodes', async () => {
    useServices(testServices(db));
    await helper.load(registerMwConfig, [{ id: 'c1', type: 'mw-config', name: 'mw', checkDatabase: true, version: 1 }]);
    const node = helper.getNode('c1') as unknown as MwConfigNode;
    const row = await node.services.db.raw<{ rows: { n: number }[] }>('select 41 + 1 as n');
    assert.equal(row.rows[0].n, 42);
    assert.equal(node.checkDatabase, true);
  });

  it('migrates an unversioned config from an old flow', async () => {
    useServices(testServices(db));
    await helper.load(registerMwConfig, [{ id: 'c2', type: 'mw-config', name: 'old' }]);
    const node = helper.getNode('c2') as unknown as MwConfigNode;
    assert.equal(node.checkDatabase, true);
  });

  it('says plainly when the runtime was started without the middleware services', async () => {
    useServices(undefined as never);
    await helper.load(registerMwConfig, [{ id: 'c3', type: 'mw-config', name: 'bare', version: 1 }]);
    const node = helper.getNode('c3') as unknown as MwConfigNode;
    assert.throws(() => node.services, /start Node-RED through the middleware entry point/);
  });
});
