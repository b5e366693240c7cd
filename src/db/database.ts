import knexFactory, { type Knex } from 'knex';
import path from 'node:path';
import { PROJECT_ROOT } from '../config';
import { StartupError } from '../errors';

export type { Knex };

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

export function createKnex(url: string, poolMax = 20): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'spareparts-mw' },
    pool: { min: 0, max: poolMax },
    migrations: { directory: MIGRATIONS_DIR, loadExtensions: ['.ts'], tableName: 'knex_migrations' },
    acquireConnectionTimeout: 10_000,
  });
}

function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured server';
  }
}

/** Connects once, turning driver errors into one line the operator can act on. */
export async function checkConnection(db: Knex, url: string): Promise<void> {
  try {
    await db.raw('select 1');
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { code?: string };
    const reason = e.code === '28P01' ? 'password authentication failed' : e.code === '3D000' ? 'database does not exist' : e.code || e.message;
    throw new StartupError(`cannot connect to PostgreSQL at ${describeTarget(url)} (${reason})`, 'check DATABASE_URL', {
      cause: error,
    });
  }
}

export async function migrateToLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}
