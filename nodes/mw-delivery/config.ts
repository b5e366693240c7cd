import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-delivery` node, as stored in flows/ (secrets are credentials). */
export interface MwDeliveryDef {
  id: string;
  type: 'mw-delivery';
  name: string;
  mwConfig: string;
  destination: string;
  /** URL template: {{operation}}, {{id}}, {{payload.x}} URL-encoded; {{{x}}} raw. */
  url: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET';
  /** JSON object of extra headers. */
  headers: string;
  authType: 'none' | 'basic' | 'bearer' | 'header';
  authHeader: string;
  /** Seconds per call. */
  timeout: number;
  concurrency: number;
  /** Seconds between polls when idle. */
  pollInterval: number;
  breakerThreshold: number;
  /** Seconds. */
  breakerCooldown: number;
  version: number;
}

export interface MwDeliveryCredentials {
  username?: string;
  password?: string;
  token?: string;
}

export const MW_DELIVERY_VERSION = 1;

export const mwDeliveryMigrations: readonly ConfigMigration<MwDeliveryDef>[] = [{ to: 1, up: (c) => c }];

/** How often the status line re-reads the queue depth: cheap, but not on every event. */
export const STATUS_REFRESH_MS = 5000;
