import express, { type Express } from 'express';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { createNodeRedSettings } from '../settings';
import { PROJECT_ROOT, type AppConfig } from './config';
import { checkConnection, createKnex, migrateToLatest, type Knex } from './db/database';
import { startEmbeddedPostgres, type RunningPostgres } from './db/embedded-postgres';
import { readAndCheckManifest } from './flows/manifest';
import { createFlowStorage } from './flows/storage';
import { correlationMiddleware } from './http/correlation';
import { healthRouter, type ReadinessProbe } from './http/health';
import type { Logger } from './log';
import { describeApiV1Operations, startApiV1Runtime } from './api';
import { authRouter, createAuthRuntime } from './auth';
import { loginPageRouter } from './auth/login-page';
import { createCatalogRuntime, registerCatalogRuntime } from './catalog';
import { journalWriteErrorCount } from './journal';
import { bindOutboundMetrics, createMetrics, httpMetrics } from './metrics';
import { errorHandler, notFoundHandler } from './http/errors-handler';
import { openApiHandler } from './validation/openapi-route';
import { opsRouter } from './ops/ops-api';
import { resolveOpsToken } from './ops/ops-auth';
import { queueStats } from './outbound';
import { HOUSEKEEPING_JOBS } from './runtime/housekeeping';
import { scheduleJobs } from './runtime/jobs';
import { publishAssistantUrls, setUpTelegram } from './runtime/telegram-setup';
import { attachMqttWebSocket, startBroker, type RunningBroker } from './mqtt/broker';
import { ensureDemoDevices } from './mqtt/demo-devices';
import { DeviceCredentialStore } from './mqtt/device-credentials';
import { resolveAdminCredentials, resolveCredentialSecret } from './runtime/admin-auth';
import { createHttpServer, listen } from './runtime/http-server';
import { startNodeRed, type EmbeddedNodeRed } from './runtime/node-red';
import type { MiddlewareServices, MqttEndpoint } from './runtime/services';

export interface RunningMiddleware {
  readonly app: Express;
  readonly port: number;
  readonly mqttPort: number | undefined;
  readonly services: MiddlewareServices;
  readonly nodeRed: EmbeddedNodeRed;
  /** Which start steps took how long, for the start-up figures in the README. */
  readonly timings: Record<string, number>;
  stop(): Promise<void>;
}

/** Routers other parts of the product mount before Node-RED (API v1, metrics, sandboxes). */
export type RouteInstaller = (app: Express, services: MiddlewareServices) => void | Promise<void>;

export interface StartOptions {
  readonly log: Logger;
  readonly routes?: readonly RouteInstaller[];
}

export function nodePackageVersion(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'nodes', 'package.json'), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

/**
 * Starts the whole middleware in dependency order and returns a handle whose stop() undoes it
 * in reverse. Each step that fails throws a StartupError with one line saying what to fix; the
 * steps already taken are undone first so nothing (no postgres, no port) is left behind.
 */
export async function startMiddleware(config: AppConfig, options: StartOptions): Promise<RunningMiddleware> {
  const { log } = options;
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const mark = (step: string): void => {
    timings[step] = Math.round(performance.now() - t0);
  };
  const undo: (() => Promise<void>)[] = [];
  const unwind = async (): Promise<void> => {
    for (const step of undo.reverse()) {
      await step().catch((err: unknown) => log.error({ err }, 'shutdown step failed'));
    }
    undo.length = 0;
  };

  try {
    // 1. Flows must match the installed node package before anything is started.
    const nodePackage = nodePackageVersion();
    readAndCheckManifest(config.flowsDir, nodePackage);
    mark('manifest');

    // 2. PostgreSQL: the configured server, or a real embedded one.
    let postgres: RunningPostgres | undefined;
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, database: 'middleware', log });
      undo.push(() => postgres!.stop());
      databaseUrl = postgres.url;
    }
    const db: Knex = createKnex(databaseUrl);
    undo.push(() => db.destroy());
    await checkConnection(db, databaseUrl);
    const applied = await migrateToLatest(db);
    if (applied.length) log.info({ migrations: applied }, 'database migrated');
    // Housekeeping once now (journal partitions must exist before the first write), then on timers.
    const jobs = scheduleJobs(db, HOUSEKEEPING_JOBS, log);
    undo.push(() => jobs.stop());
    await jobs.runAll();
    mark('database');

    const metrics = createMetrics({ queueStats: () => queueStats(db) });
    const unbindOutbound = bindOutboundMetrics(metrics);
    undo.push(async () => unbindOutbound());
    metrics.setJournalWriteErrorsSource(journalWriteErrorCount);

    // 3. MQTT: the in-process broker with per-device credentials, or an external one.
    let broker: RunningBroker | undefined;
    let mqttEndpoint: MqttEndpoint;
    if (config.mqttUrl) {
      mqttEndpoint = { url: config.mqttUrl };
    } else {
      const credentials = new DeviceCredentialStore(db);
      if (config.demoDevices) await ensureDemoDevices(credentials, log, { production: config.env === 'production' });
      const internal = { username: 'mw-internal', password: randomBytes(24).toString('base64url') };
      broker = await startBroker({ tcpPort: config.mqttPort, host: config.host, credentials, internal, log });
      undo.push(() => broker!.close());
      mqttEndpoint = { url: `mqtt://127.0.0.1:${broker.tcpPort}`, ...internal };
    }
    const brokerProbe = createBrokerProbe(mqttEndpoint);
    undo.push(() => brokerProbe.close());
    mark('mqtt');

    const auth = await createAuthRuntime({
      db,
      dataDir: config.dataDir,
      production: config.env === 'production',
      settings: config.auth,
      onRotateError: (err: unknown) => log.warn({ err }, 'shop token re-encryption failed'),
    });
    // Catalog cache, its sync from the shop and the search index (stopped after Node-RED).
    const catalog = createCatalogRuntime({ db, log: log.child({ component: 'catalog' }), metrics, env: {}, config: config.shop });
    await catalog.start();
    const unregisterCatalog = registerCatalogRuntime(db, catalog);
    undo.push(async () => {
      unregisterCatalog();
      await catalog.stop();
    });
    mark('catalog');
    const services: MiddlewareServices = { config, db, mqtt: mqttEndpoint, log, metrics, auth, catalog };
    // API v1 routes are flows; their OpenAPI description and the worker that places orders
    // queued while the shop was down live here (stopped after the flows, before the catalog).
    describeApiV1Operations();
    const apiV1 = startApiV1Runtime(services);
    undo.push(() => apiV1.stop());

    // 4. HTTP: our routes first, then the editor and flow routes of Node-RED.
    const app = express();
    app.disable('x-powered-by');
    app.use(correlationMiddleware);
    app.use(httpMetrics(metrics));
    const ops = await resolveOpsToken(config.dataDir, config.opsApiToken);
    if (ops.generated) process.stdout.write(`Ops API token (Authorization: Bearer …): ${ops.token}  (kept in ${config.dataDir}/ops-token; set OPS_API_TOKEN to choose one)\n`);
    app.use(opsRouter(db, metrics, ops.token));
    app.get('/api/v1/openapi.json', openApiHandler());
    app.use(loginPageRouter({ botUsername: config.telegramBotUsername, widgetScriptUrl: config.telegramWidgetUrl }));
    const shopClient = catalog.client;
    app.use(
      authRouter({
        runtime: auth,
        log,
        exchange: async (data, ctx) => {
          if (!shopClient) throw new Error('SHOP_API_URL is not set: accounts cannot be linked');
          return shopClient.loginTelegram(data, ctx);
        },
        describe: { sessionScheme: 'sessionToken' },
      }),
    );
    let nodeRed: EmbeddedNodeRed | undefined;
    let draining = false;
    const probes = (): ReadinessProbe[] => [
      { name: 'accepting', check: async () => { if (draining) throw new Error('shutting down'); } },
      { name: 'database', check: async () => { await db.raw('select 1'); } },
      { name: 'mqtt', check: async () => brokerProbe.check() },
      { name: 'flows', check: async () => { if (!nodeRed?.isStarted()) throw new Error('flows not started'); } },
    ];
    app.use(healthRouter(probes));
    await setUpTelegram(app, config, log);
    for (const install of options.routes ?? []) await install(app, services);

    const server = createHttpServer(app);
    if (broker) attachMqttWebSocket(server, broker, '/mqtt');
    const storageModule = createFlowStorage({
      flowsDir: config.flowsDir,
      userDir: path.join(config.dataDir, 'node-red'),
      readOnly: config.flowsReadOnly,
      nodePackageVersion: nodePackage.version,
      log,
    });
    const admin = await resolveAdminCredentials({ dataDir: config.dataDir, username: config.adminUser, password: config.adminPassword });
    if (admin.generatedPassword) {
      // Printed once, on the start that generated it; only the bcrypt hash is kept.
      process.stdout.write(`\nEditor login: ${admin.username} / ${admin.generatedPassword}  (saved as a hash in ${config.dataDir}/admin.json; set ADMIN_PASSWORD to choose one)\n\n`);
    }
    const credentialSecret = await resolveCredentialSecret(config.dataDir, config.credentialSecret);
    const settings = createNodeRedSettings({ config, services, admin, credentialSecret, storageModule });

    const listening = await listen(server, config.port, config.host);
    // Upgraded WebSocket sockets (MQTT over /mqtt) are not closed by server.close(); drop them
    // first or every stop would wait for the grace period. TCP devices stay until the broker stops.
    const closeHttp = async (): Promise<void> => {
      await broker?.closeWebSocketClients();
      await listening.close(3000);
    };
    undo.push(closeHttp);
    mark('http');
    publishAssistantUrls(listening.port);

    nodeRed = await startNodeRed(server, app, settings);
    // After every router and Node-RED's own: what nobody handled is a problem+json 404 or 500.
    app.use(notFoundHandler);
    app.use(errorHandler(log));
    // Stop order once running: turn /readyz to 503, stop taking requests and let in-flight ones
    // finish (they may still need their flows), then stop the flows, broker and database.
    undo.splice(undo.indexOf(closeHttp), 1);
    undo.push(() => nodeRed!.stop(), closeHttp, async () => {
      draining = true;
    });
    mark('flows');
    log.info({ port: listening.port, mqttPort: broker?.tcpPort, timings }, 'middleware ready');

    let stopping: Promise<void> | undefined;
    return {
      app,
      port: listening.port,
      mqttPort: broker?.tcpPort,
      services,
      nodeRed,
      timings,
      stop: () => (stopping ??= unwind()),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

interface BrokerProbe {
  check(): Promise<void>;
  close(): Promise<void>;
}

/** A long-lived internal client: readiness is "we are connected to the broker right now". */
function createBrokerProbe(endpoint: MqttEndpoint): BrokerProbe {
  const client = mqtt.connect(endpoint.url, {
    username: endpoint.username,
    password: endpoint.password,
    clientId: `mw-readiness-${process.pid}`,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
  });
  client.on('error', () => undefined); // reported through check()
  return {
    check: async () => {
      if (!client.connected) throw new Error(`not connected to ${new URL(endpoint.url).host}`);
    },
    close: () => client.endAsync(true),
  };
}
