import pino, { type Logger } from 'pino';
import { maskText, maskValue } from './mask';

export type { Logger };

/**
 * JSON logs through pino. Every string and object that is logged passes the personal-data masks,
 * so a phone or an address in a message or a payload never reaches the log stream.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'spareparts-mw' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskText(a) : a instanceof Error ? a : maskValue(a)));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
