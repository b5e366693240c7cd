import { loadConfig } from './config';
import { StartupError } from './errors';
import { createLogger } from './log';
import { demoEnabled, startDemoSandboxes, type DemoSandboxes } from './demo/sandboxes';
import { startMiddleware, type RunningMiddleware } from './server';

const SHUTDOWN_LIMIT_MS = 10_000;

/** Prints one line for a start-up error; anything else is a bug and keeps its stack. */
function fail(error: unknown): never {
  if (error instanceof StartupError || (error as Error)?.name === 'StartupError') {
    process.stderr.write(`Cannot start: ${(error as StartupError).line ?? (error as Error).message}\n`);
    process.exit(78);
  }
  process.stderr.write(`Cannot start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config;
  let demo: DemoSandboxes | undefined;
  try {
    // Demo mode: local fakes of the shop, Telegram, STT and LLM wherever no real one is configured.
    if (demoEnabled(process.env)) demo = await startDemoSandboxes(process.env);
    config = loadConfig();
  } catch (error) {
    fail(error);
  }
  const log = createLogger(config.logLevel);
  let running: RunningMiddleware | undefined;
  let shuttingDown = false;

  const shutdown = (signal: string): void => {
    if (shuttingDown) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const limit = setTimeout(() => {
      log.error('shutdown took longer than 10 s: exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    (running?.stop() ?? Promise.resolve())
      .then(() => demo?.stop())
      .then(() => {
        log.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  try {
    running = await startMiddleware(config, { log });
  } catch (error) {
    fail(error);
  }
  if (shuttingDown) return;
  process.stdout.write(`Ready: editor http://localhost:${running.port}/  health /healthz  readiness /readyz  MQTT ${running.mqttPort ?? config.mqttUrl}\n`);
  if (demo) {
    process.stdout.write(
      `Demo sandboxes: web chat with the bot ${demo.urls.telegram}/chat  shop ${demo.urls.shop}  speech-to-text ${demo.urls.stt}  LLM ${demo.urls.llm}\n`,
    );
  }
}

void main();
