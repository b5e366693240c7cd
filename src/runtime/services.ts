import type { Knex } from 'knex';
import type { AppConfig } from '../config';
import type { Logger } from '../log';
import type { MwMetrics } from '../metrics';
import type { AuthRuntime } from '../auth';
import type { CatalogRuntime } from '../catalog';

/** How nodes and flows reach the in-process MQTT broker (or the external one from MQTT_URL). */
export interface MqttEndpoint {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
}

/**
 * The shared services the application hands to Node-RED through `settings.mw`.
 * Nodes never open their own pools or brokers: they ask the `mw-config` node, which reads this.
 */
export interface MiddlewareServices {
  readonly config: AppConfig;
  readonly db: Knex;
  readonly mqtt: MqttEndpoint;
  readonly log: Logger;
  /** Prometheus series nodes update (degraded mode, lag, replays…). */
  readonly metrics?: MwMetrics;
  /** Session tokens, the encrypted shop-token vault and API keys (src/auth). */
  readonly auth?: AuthRuntime;
  /** Catalog cache, shop client and search service (src/catalog). */
  readonly catalog?: CatalogRuntime;
}

export const SERVICES_SETTINGS_KEY = 'mw';
