import { StartupError } from '../errors';
import type { Logger } from '../log';
import type { DeviceCredentialStore } from './device-credentials';

/**
 * Demo scanners for development and the sandbox (MQTT_DEMO_DEVICES, on by default outside
 * production). Their password is MQTT_DEMO_PASSWORD, or DEFAULT_DEMO_PASSWORD — a public,
 * documented development value, which is why it is refused in production.
 *
 *     mosquitto_pub -h localhost -p 1883 -i scanner-001 -u scanner-001 -P scanner-demo-pass \
 *       -t devices/scanner-001/scan -m '{"barcode":"4601234567890"}'
 */

export const DEMO_DEVICES: readonly { readonly deviceId: string; readonly description: string }[] = [
  { deviceId: 'scanner-001', description: 'Demo courier scanner 1' },
  { deviceId: 'scanner-002', description: 'Demo courier scanner 2' },
];

/** Development default; never valid in production. */
export const DEFAULT_DEMO_PASSWORD = 'scanner-demo-pass';

export interface DemoDeviceOptions {
  /** Default: MQTT_DEMO_PASSWORD, else DEFAULT_DEMO_PASSWORD. */
  readonly password?: string;
  /** Default: NODE_ENV === 'production'. */
  readonly production?: boolean;
}

/**
 * Creates the demo devices that are missing, and resets the password of existing ones that no
 * longer match the demo password (so changing MQTT_DEMO_PASSWORD takes effect). Devices an
 * operator disabled stay disabled. Returns the demo device ids.
 */
export async function ensureDemoDevices(store: DeviceCredentialStore, log: Logger, options: DemoDeviceOptions = {}): Promise<string[]> {
  const fromEnv = process.env.MQTT_DEMO_PASSWORD || undefined;
  const password = options.password ?? fromEnv ?? DEFAULT_DEMO_PASSWORD;
  const production = options.production ?? process.env.NODE_ENV === 'production';
  if (production && password === DEFAULT_DEMO_PASSWORD) {
    throw new StartupError(
      'MQTT demo devices would use the public default password in production',
      'set MQTT_DEMO_DEVICES=0 (or MQTT_DEMO_PASSWORD to a secret)',
    );
  }

  const created: string[] = [];
  const reset: string[] = [];
  for (const demo of DEMO_DEVICES) {
    const existing = await store.getDevice(demo.deviceId);
    if (!existing) {
      await store.createDevice({ deviceId: demo.deviceId, password, kind: 'scanner', description: demo.description });
      created.push(demo.deviceId);
    } else if (!(await store.verify(existing.username, password)) && existing.enabled) {
      await store.setPassword(demo.deviceId, password);
      reset.push(demo.deviceId);
    }
  }
  if (created.length || reset.length) {
    log.info({ created, passwordReset: reset, defaultPassword: password === DEFAULT_DEMO_PASSWORD }, 'mqtt demo devices ready');
  }
  return DEMO_DEVICES.map((d) => d.deviceId);
}
