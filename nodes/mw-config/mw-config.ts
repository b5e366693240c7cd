import type { Node, NodeAPI, NodeDef } from 'node-red';
import { migrateConfig } from '../../src/node-config/migrations';
import { servicesFromSettings } from '../../src/node-config/services-lookup';
import type { MiddlewareServices } from '../../src/runtime/services';
import { mwConfigMigrations, type MwConfigDef } from './config';

/** What other nodes get from their `mw-config` reference. */
export interface MwConfigNode extends Node {
  readonly services: MiddlewareServices;
  readonly checkDatabase: boolean;
}

/** Config node: hands the shared database and broker of the process to other nodes. */
export default function registerMwConfig(RED: NodeAPI): void {
  function MwConfig(this: MwConfigNode, def: NodeDef & Partial<MwConfigDef>): void {
    RED.nodes.createNode(this, def);
    const config = migrateConfig<MwConfigDef>('mw-config', def as unknown as Record<string, unknown>, mwConfigMigrations);
    Object.defineProperty(this, 'checkDatabase', { value: config.checkDatabase });
    // Services are looked up lazily so a flow still loads in the editor when they are missing;
    // the node using them reports the error with its own status.
    Object.defineProperty(this, 'services', { get: () => servicesFromSettings(RED.settings) });
  }
  RED.nodes.registerType('mw-config', MwConfig as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
