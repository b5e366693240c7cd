import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { createTestDatabase } from './support/postgres';

interface Outcome {
  code: number | null;
  stderr: string;
}

/** Runs the real entry point with the given environment and collects how it ended. */
function runMain(env: Record<string, string>, timeoutMs = 40_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'x-test-pass', DEMO_SANDBOXES: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`entry point did not exit in time; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function assertOneClearLine(outcome: Outcome, pattern: RegExp): void {
  const lines = outcome.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(outcome.code, 78, outcome.stderr);
  assert.equal(lines.length, 1, `exactly one line, got:\n${outcome.stderr}`);
  assert.match(lines[0], /^Cannot start: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(outcome.stderr, /\n\s+at /, 'no stack trace');
}

describe('bad configuration stops the start with one clear line', function () {
  this.timeout(60_000);
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-start-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('malformed DATABASE_URL', async () => {
    assertOneClearLine(await runMain({ DATA_DIR: dataDir, DATABASE_URL: 'postgres//nohost' }), /DATABASE_URL is not a valid URL/);
    assertOneClearLine(await runMain({ DATA_DIR: dataDir, DATABASE_URL: 'mysql://u:p@localhost/db' }), /DATABASE_URL has protocol "mysql:"/);
  });

  it('unreachable database', async () => {
    const outcome = await runMain({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db' });
    assertOneClearLine(outcome, /cannot connect to PostgreSQL at 127\.0\.0\.1:1\/db .*check DATABASE_URL/);
  });

  it('HTTP port in use', async () => {
    const { url, drop } = await createTestDatabase('mw_start');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const outcome = await runMain({ DATA_DIR: dataDir, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', MQTT_PORT: '0' });
      assertOneClearLine(outcome, new RegExp(`HTTP port ${port} is already in use`));
    } finally {
      blocker.close();
      await drop();
    }
  });

  it('flows saved for another manifest version', async () => {
    const flowsDir = path.join(dataDir, 'flows-mismatch');
    await cp(path.join(PROJECT_ROOT, 'flows'), flowsDir, { recursive: true });
    await writeFile(
      path.join(flowsDir, 'manifest.json'),
      JSON.stringify({ formatVersion: 1, nodePackage: { name: '@spareparts/node-red-mw', version: '9.9.0' }, tabs: [] }),
    );
    const outcome = await runMain({ DATA_DIR: dataDir, FLOWS_DIR: flowsDir, DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db' });
    assertOneClearLine(outcome, /manifest/);
  });

  it('production without a credential secret', async () => {
    assertOneClearLine(await runMain({ DATA_DIR: dataDir, NODE_ENV: 'production' }), /NODE_RED_CREDENTIAL_SECRET is not set/);
  });
});
