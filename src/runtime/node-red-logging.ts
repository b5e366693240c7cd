import type { Logger } from '../log';

/** Node-RED's numeric levels (fatal 10 … trace 98) mapped onto pino's. */
const LEVELS: Record<number, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'> = {
  10: 'fatal',
  20: 'error',
  30: 'warn',
  40: 'info',
  50: 'debug',
  60: 'trace',
  98: 'info', // audit
  99: 'debug', // metric
};

interface NodeRedLogMessage {
  level: number;
  msg?: unknown;
  type?: string;
  id?: string;
  name?: string;
  event?: string;
}

/** A Node-RED `logging` entry that sends runtime and node logs to our JSON logger (masked). */
export function nodeRedLogging(log: Logger, level: string): Record<string, unknown> {
  const nodeRedLevel = level === 'silent' ? 'off' : level === 'warn' ? 'warn' : level;
  return {
    console: { level: 'off' },
    pino: {
      level: nodeRedLevel,
      metrics: false,
      audit: false,
      handler: () => (m: NodeRedLogMessage) => {
        const method = LEVELS[m.level] ?? 'info';
        const text = m.msg instanceof Error ? m.msg.message : typeof m.msg === 'string' ? m.msg : JSON.stringify(m.msg);
        log[method]({ src: 'node-red', node: m.id ? { id: m.id, type: m.type, name: m.name } : undefined }, text);
      },
    },
  };
}
