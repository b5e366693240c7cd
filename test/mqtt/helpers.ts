import { Writable } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createLogger, type Logger } from '../../src/log';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger (with the production masking) whose JSON lines are kept for assertions. */
export function captureLogger(level = 'debug'): { log: Logger; lines: LogLine[]; text: () => string } {
  const lines: LogLine[] = [];
  let raw = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('utf8');
      raw += text;
      for (const line of text.split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return { log: createLogger(level, sink), lines, text: () => raw };
}

/** Connects without retries, so a refused CONNACK rejects instead of reconnecting forever. */
export function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/** The error a refused connect fails with. */
export async function connectError(url: string, options: IClientOptions = {}): Promise<Error & { code?: number }> {
  try {
    const client = await connect(url, options);
    await client.endAsync(true);
  } catch (error) {
    return error as Error & { code?: number };
  }
  throw new Error('connect was expected to fail');
}

/**
 * SUBSCRIBE and return the granted QoS per filter (128 = refused). mqtt.js 5 rejects the whole
 * subscribeAsync as soon as one filter is refused, with the SUBACK attached to the error.
 */
export async function subscribeGranted(client: MqttClient, filters: string[], qos: 0 | 1 | 2 = 1): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filters, { qos });
    return granted.map((g) => g.qos);
  } catch (error) {
    const suback = (error as { packet?: { granted?: (number | object)[] } }).packet;
    if (!suback?.granted) throw error;
    return suback.granted.map((g) => (typeof g === 'number' ? g : NaN));
  }
}

/** Collects messages arriving at a client. */
export function collect(client: MqttClient): { topic: string; payload: string }[] {
  const received: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString('utf8') }));
  return received;
}

export async function waitFor(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when the client's connection closes (for whatever reason). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

export async function end(...clients: (MqttClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => (c ? c.endAsync(true).catch(() => undefined) : undefined)));
}
