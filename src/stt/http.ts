import type { JournalEntry } from '../journal/entry';

/**
 * Where outbound calls are journaled: a function taking one entry (in the runtime, the shared
 * batching journal writer's `write`). It must not throw or block; failures are its business.
 */
export type JournalSink = (entry: JournalEntry) => void;

/** Calls the sink without ever letting a journaling problem break the call it records. */
export function journalSafely(sink: JournalSink | undefined, entry: JournalEntry): void {
  if (!sink) return;
  try {
    sink(entry);
  } catch {
    // The journal is a record, not a gate.
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
  readonly durationMs: number;
}

/** A failure before any HTTP answer: refused, reset, DNS, TLS, or our own timeout. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly timedOut: boolean,
    readonly durationMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function transportMessage(error: unknown): string {
  const e = error as { cause?: { code?: unknown; message?: unknown }; message?: unknown };
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.cause?.message === 'string' ? e.cause.message : typeof e?.message === 'string' ? e.message : String(error);
  return code ? `${code}: ${message}` : message;
}

/**
 * One HTTP request with a hard timeout covering connect, headers and the whole body. The body
 * is read here so the timeout also bounds a server that stalls mid-answer.
 */
export async function httpRequest(url: string, init: RequestInit & { timeoutMs: number; signal?: AbortSignal }): Promise<HttpAnswer> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(Math.max(1, init.timeoutMs));
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { ...init, signal });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    if (timeout.aborted) throw new TransportError(`no answer within ${init.timeoutMs} ms`, true, durationMs, { cause: error });
    throw new TransportError(transportMessage(error), false, durationMs, { cause: error });
  }
}

/** Answers worth one more try: overload and gateway errors (not timeouts: the user is waiting). */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** URL without query and credentials, for journal operations and logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '[invalid url]';
  }
}
