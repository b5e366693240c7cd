import { stopTestPostgres } from './postgres';

/** Root hooks: the shared PostgreSQL of this test process is stopped once, after every spec. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopTestPostgres();
  },
};
