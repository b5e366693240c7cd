import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../../src/config';
import { createLogger } from '../../src/log';
import { startMiddleware, type RunningMiddleware } from '../../src/server';
import { startDemoSandboxes, type DemoSandboxes } from '../../src/demo/sandboxes';
import { createTestDatabase } from './postgres';

export const TEST_OPS_TOKEN = 'test-ops-token';
export const TEST_UT10_KEY = 'test-ut10-key-0123456789';
export const TEST_ADMIN = { username: 'admin', password: 'test-admin-password' };

export interface TestRuntime {
  readonly mw: RunningMiddleware;
  readonly baseUrl: string;
  readonly flowsDir: string;
  readonly dataDir: string;
  /** The fakes of the shop, Telegram, STT and LLM the runtime talks to (sandbox/). */
  readonly sandboxes: DemoSandboxes;
}

let booted: Promise<TestRuntime> | undefined;
let teardown: (() => Promise<void>) | undefined;

/**
 * Boots the real middleware once per test process (Node-RED is a singleton): its own copy of
 * flows/ in a temp folder, a fresh PostgreSQL database, ephemeral HTTP and MQTT ports.
 */
export function bootRuntime(): Promise<TestRuntime> {
  booted ??= (async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-runtime-'));
    const flowsDir = path.join(dataDir, 'flows');
    await cp(path.join(PROJECT_ROOT, 'flows'), flowsDir, { recursive: true });
    const database = await createTestDatabase('mw_runtime');
    // Nodes read some settings (STT, LLM) from the environment, so the sandboxes' URLs go there.
    process.env.SANDBOX_PORT_BASE = '0';
    const sandboxes = await startDemoSandboxes(process.env);
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      MQTT_PORT: '0',
      DATA_DIR: dataDir,
      FLOWS_DIR: flowsDir,
      DATABASE_URL: database.url,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      MQTT_DEMO_DEVICES: '1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL || 'silent',
      SHOP_API_URL: process.env.SHOP_API_URL,
      TELEGRAM_API_URL: process.env.TELEGRAM_API_URL,
      TELEGRAM_BOT_TOKEN: process.env.TELEGRAM_BOT_TOKEN,
      TELEGRAM_WIDGET_URL: process.env.TELEGRAM_WIDGET_URL,
      CATALOG_SEARCH_WORKER: '0',
      OPS_API_TOKEN: TEST_OPS_TOKEN,
      INTEGRATION_API_KEYS: `ut10:${TEST_UT10_KEY}`,
    });
    const mw = await startMiddleware(config, { log: createLogger(config.logLevel) });
    teardown = async () => {
      await mw.stop();
      await sandboxes.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    };
    return { mw, baseUrl: `http://127.0.0.1:${mw.port}`, flowsDir, dataDir, sandboxes };
  })();
  return booted;
}

export async function stopRuntime(): Promise<void> {
  if (!booted) return;
  await booted.catch(() => undefined);
  booted = undefined;
  await teardown?.();
}

/** Logs in to the editor API as the test admin and returns the bearer token. */
export async function adminToken(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', ...TEST_ADMIN }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
