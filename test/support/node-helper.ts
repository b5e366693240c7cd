import helper from 'node-red-node-test-helper';
import type { Knex } from 'knex';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import type { MiddlewareServices } from '../../src/runtime/services';
import { SERVICES_SETTINGS_KEY } from '../../src/runtime/services';

/**
 * node-red-node-test-helper drives the Node-RED singleton with a mock runtime, so specs that
 * use it run in the unit-test process only; specs that boot the real runtime live in
 * test/runtime/ and run in their own mocha process.
 */
helper.init(require.resolve('node-red'));

export { helper };

/** Services as the entry point would hand them to Node-RED, around a real test database. */
export function testServices(db: Knex, overrides: Partial<MiddlewareServices> = {}): MiddlewareServices {
  return {
    config: loadConfig({ NODE_ENV: 'test' }),
    db,
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    log: createLogger('silent'),
    ...overrides,
  };
}

/** Makes the services visible to nodes as RED.settings.mw for the next helper.load(). */
export function useServices(services: MiddlewareServices): void {
  helper.settings({ [SERVICES_SETTINGS_KEY]: services });
}
