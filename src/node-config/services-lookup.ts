import type { MiddlewareServices } from '../runtime/services';
import { SERVICES_SETTINGS_KEY } from '../runtime/services';

/**
 * Reads the services the application put into Node-RED settings. Missing services mean the
 * runtime was started without our entry point (e.g. a bare `node-red`), which we report plainly.
 */
export function servicesFromSettings(settings: unknown): MiddlewareServices {
  const services = (settings as Record<string, unknown> | undefined)?.[SERVICES_SETTINGS_KEY] as MiddlewareServices | undefined;
  if (!services || !services.db) {
    throw new Error('middleware services are not available: start Node-RED through the middleware entry point (npm start)');
  }
  return services;
}
