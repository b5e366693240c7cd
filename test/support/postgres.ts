import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../../src/config';
import { createKnex, migrateToLatest, type Knex } from '../../src/db/database';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/log';

/**
 * One real PostgreSQL per test process: TEST_DATABASE_URL when given (CI with a server),
 * otherwise the embedded cluster under .data/test. Each process gets a freshly created
 * database so runs never see each other's rows.
 */
let server: Promise<{ adminUrl: string; stop: () => Promise<void> }> | undefined;
let running: RunningPostgres | undefined;

function startServer(): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  server ??= (async () => {
    const external = process.env.TEST_DATABASE_URL;
    if (external) return { adminUrl: external, stop: async () => undefined };
    // One cluster folder per port, so parallel runs on different TEST_PG_PORTs never meet.
    const port = Number(process.env.TEST_PG_PORT || 54339);
    running = await startEmbeddedPostgres({
      dataDir: path.join(PROJECT_ROOT, '.data', `test-${port}`),
      port,
      database: 'postgres',
      log: createLogger('warn'),
    });
    return { adminUrl: running.url, stop: () => running!.stop() };
  })();
  return server;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty, migrated database and returns its URL and a knex handle. */
export async function createTestDatabase(prefix = 'mw_test'): Promise<{ url: string; db: Knex; drop: () => Promise<void> }> {
  const { adminUrl } = await startServer();
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const db = createKnex(url, 10);
  await migrateToLatest(db);
  const drop = async (): Promise<void> => {
    await db.destroy();
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`drop database if exists "${name}" with (force)`);
    await c.end();
  };
  return { url, db, drop };
}

export async function stopTestPostgres(): Promise<void> {
  if (!server) return;
  const s = await server;
  server = undefined;
  await s.stop();
}
