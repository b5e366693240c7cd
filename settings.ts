import path from 'node:path';
import type { AppConfig } from './src/config';
import { PROJECT_ROOT } from './src/config';
import type { AdminCredentials } from './src/runtime/admin-auth';
import { jsonBodyParser } from './src/http/errors-handler';
import { nodeRedLogging } from './src/runtime/node-red-logging';
import { SERVICES_SETTINGS_KEY, type MiddlewareServices } from './src/runtime/services';

export interface SettingsInput {
  readonly config: AppConfig;
  readonly services: MiddlewareServices;
  readonly admin: AdminCredentials;
  readonly credentialSecret: string;
  /** The per-tab git storage (src/flows/storage.ts). */
  readonly storageModule: object;
}

/** The Node-RED settings object; only the keys this application sets are typed. */
export interface NodeRedSettings {
  readonly userDir: string;
  readonly nodesDir: string[];
  readonly storageModule: object;
  readonly credentialSecret: string;
  readonly httpAdminRoot: string;
  readonly httpNodeRoot: string;
  readonly adminAuth: { type: 'credentials'; users: { username: string; password: string; permissions: string }[] };
  readonly [key: string]: unknown;
}

/**
 * The one settings factory of the process. Node-RED's runtime is a singleton, so this is called
 * once per process by the entry point (and once per test process by the test runtime fixture).
 */
export function createNodeRedSettings(input: SettingsInput): NodeRedSettings {
  const { config, services, admin } = input;
  return {
    userDir: path.join(config.dataDir, 'node-red'),
    nodesDir: [path.join(PROJECT_ROOT, 'nodes')],
    storageModule: input.storageModule,
    credentialSecret: input.credentialSecret,
    flowFile: 'flows.json', // name only; the storage module keeps one file per tab under flows/
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    // Parses JSON for flow routes before the http in node does, so malformed or oversized bodies
    // get a problem+json answer instead of the node's bare 500.
    httpNodeMiddleware: jsonBodyParser({ limit: config.apiBodyLimit }),
    // Our Express app parses nothing before Node-RED; keep the editor's own limit explicit.
    apiMaxLength: '5mb',
    adminAuth: {
      type: 'credentials',
      users: [{ username: admin.username, password: admin.passwordHash, permissions: '*' }],
    },
    disableEditor: false,
    editorTheme: {
      page: { title: 'Запчасти MW' },
      header: { title: 'Запчасти MW — middleware' },
      projects: { enabled: false },
      palette: { editable: false, categories: ['Запчасти MW', 'common', 'function', 'network', 'sequence', 'parser', 'storage'] },
      tours: false,
      codeEditor: { lib: 'monaco' },
    },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    logging: nodeRedLogging(services.log, config.logLevel),
    lang: 'ru',
    functionExternalModules: false,
    exportGlobalContextKeys: false,
    [SERVICES_SETTINGS_KEY]: services,
  };
}
