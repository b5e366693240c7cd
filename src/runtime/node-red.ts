import type http from 'node:http';
import type { Express } from 'express';
import RED from 'node-red';
import { StartupError } from '../errors';
import { cancelTelegramPollsWhenFlowsStop } from './telegram-polling';
import type { NodeRedSettings } from '../../settings';

interface RuntimeStateEvent {
  id: string;
  payload?: { state?: string; error?: string; types?: string[]; modules?: { module: string }[]; text?: string };
}

export interface EmbeddedNodeRed {
  readonly red: typeof RED;
  isStarted(): boolean;
  stop(): Promise<void>;
}

let initialised = false;

/**
 * Initialises and starts the process-wide Node-RED runtime. It is a singleton: a second call in
 * the same process is a programming error. Resolves only when the flows really run
 * (`flows:started`), because RED.start() resolves before that.
 */
export async function startNodeRed(server: http.Server, app: Express, settings: NodeRedSettings, startTimeoutMs = 30_000): Promise<EmbeddedNodeRed> {
  if (initialised) throw new Error('Node-RED is a singleton: it was already initialised in this process');
  initialised = true;
  RED.init(server, settings as unknown as Parameters<typeof RED.init>[1]);
  app.use(settings.httpAdminRoot, RED.httpAdmin);
  app.use(settings.httpNodeRoot, RED.httpNode);

  cancelTelegramPollsWhenFlowsStop(RED);
  let started = false;
  RED.events.on('flows:started', () => {
    started = true;
  });
  RED.events.on('flows:stopped', () => {
    started = false;
  });

  const flowsStarted = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StartupError(`flows did not start within ${startTimeoutMs / 1000} s`, 'see the log above')), startTimeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      RED.events.removeListener('runtime-event', onState);
      resolve();
    };
    // A flow that uses an uninstalled node type never starts; say which types, not just "hung".
    const onState = (event: RuntimeStateEvent): void => {
      if (event.id !== 'runtime-state' || !event.payload?.error) return;
      const { error, types, modules } = event.payload;
      if (error === 'missing-types' || error === 'missing-modules') {
        clearTimeout(timer);
        RED.events.removeListener('runtime-event', onState);
        const what = error === 'missing-types' ? (types ?? []).join(', ') : (modules ?? []).map((m) => m.module).join(', ');
        reject(new StartupError(`flows use node types that are not installed: ${what}`, 'install the node package or fix flows/'));
      }
    };
    RED.events.once('flows:started', done);
    RED.events.on('runtime-event', onState);
  });

  await RED.start();
  await flowsStarted;
  return {
    red: RED,
    isStarted: () => started,
    stop: () => RED.stop(),
  };
}
