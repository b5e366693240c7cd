import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

/** A middleware process started the way `npm start` starts it, for benchmarks and crash checks. */
export interface MiddlewareChild {
  readonly process: ChildProcess;
  readonly baseUrl: string;
  readonly port: number;
  rssMb(): number;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A temp data folder with a copy of the given flows folder. */
export async function prepareDataDir(flowsSource: string): Promise<{ dataDir: string; flowsDir: string }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-bench-'));
  const flowsDir = path.join(dataDir, 'flows');
  await cp(flowsSource, flowsDir, { recursive: true });
  return { dataDir, flowsDir };
}

export async function waitReady(baseUrl: string, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      if (res.ok) return Date.now() - started;
    } catch {
      /* not listening yet */
    }
    if (Date.now() - started > timeoutMs) throw new Error(`middleware not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startChild(env: Record<string, string>, port?: number): Promise<MiddlewareChild> {
  const httpPort = port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(httpPort), MQTT_PORT: '0', MQTT_DEMO_DEVICES: '0', ADMIN_PASSWORD: 'bench-admin', DEMO_SANDBOXES: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([waitReady(baseUrl), exited.then(() => Promise.reject(new Error('middleware exited during start')))]);
  return {
    process: child,
    baseUrl,
    port: httpPort,
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
