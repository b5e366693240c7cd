import type { FakeServer } from './harness';

/**
 * The set of sandboxes the demo mode of `npm start` runs. Each fake registers a factory here
 * under the name of the system it imitates; `startSandboxes` starts them on loopback and
 * returns their URLs, which the configuration then points the middleware at.
 */
export type SandboxFactory = () => FakeServer;

const factories = new Map<string, SandboxFactory>();

export function registerSandbox(name: string, factory: SandboxFactory): void {
  factories.set(name, factory);
}

export interface RunningSandboxes {
  readonly urls: Record<string, string>;
  readonly servers: Record<string, FakeServer>;
  stop(): Promise<void>;
}

/** Starts every registered sandbox; `ports` may pin a port per name (0 = any free port). */
export async function startSandboxes(ports: Record<string, number> = {}): Promise<RunningSandboxes> {
  const servers: Record<string, FakeServer> = {};
  const urls: Record<string, string> = {};
  try {
    for (const [name, factory] of factories) {
      const server = factory();
      urls[name] = await server.start(ports[name] ?? 0);
      servers[name] = server;
    }
  } catch (error) {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    throw error;
  }
  return {
    urls,
    servers,
    stop: async () => {
      await Promise.all(Object.values(servers).map((s) => s.stop()));
    },
  };
}
