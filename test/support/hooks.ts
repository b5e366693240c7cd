import { stopTestPostgres } from './postgres';
import { stopRuntime } from './runtime';

/** Root hooks: the runtime and the shared PostgreSQL of this test process stop once, at the end. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopRuntime();
    await stopTestPostgres();
  },
};
