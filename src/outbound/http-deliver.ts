import { classifyOutcome } from './classify';
import { renderUrlTemplate } from './url-template';
import type { DeliverFn, DeliveryItem } from './types';

/**
 * A DeliverFn that makes the HTTP call itself (fetch, i.e. undici): the item's payload is the
 * JSON body, the URL comes from a template, and the answer is classified by classifyOutcome.
 * Every call carries the item's idempotency key, so a destination that supports one (our own
 * APIs, 1C with our dedupe) can drop the rare redelivery after a crash.
 */
export type HttpMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET';

export type HttpAuth =
  | { readonly type: 'none' }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'header'; readonly name: string; readonly value: string };

export interface HttpDeliverOptions {
  readonly urlTemplate: string;
  readonly method?: HttpMethod;
  readonly headers?: Readonly<Record<string, string>>;
  readonly auth?: HttpAuth;
  readonly timeoutMs?: number;
  /** For tests and for a custom dispatcher; defaults to global fetch. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export const MAX_RESPONSE_BYTES = 1 << 20;

function authHeaders(auth: HttpAuth | undefined): Record<string, string> {
  switch (auth?.type) {
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'header':
      return { [auth.name]: auth.value };
    default:
      return {};
  }
}

/** JSON when it parses, else text; large bodies are cut (they only go to msg and the error text). */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  const cut = text.length > MAX_RESPONSE_BYTES ? text.slice(0, MAX_RESPONSE_BYTES) : text;
  if (!cut) return undefined;
  try {
    return JSON.parse(cut);
  } catch {
    return cut;
  }
}

export function idempotencyKeyOf(item: DeliveryItem): string {
  return item.idempotencyKey ?? `outbound-${item.id}`;
}

export function createHttpDeliver(options: HttpDeliverOptions): DeliverFn {
  const method = options.method ?? 'POST';
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const now = options.now ?? Date.now;
  return async (item, { signal }) => {
    let url: string;
    try {
      url = renderUrlTemplate(options.urlTemplate, item);
    } catch (error) {
      // The item lacks what the URL needs: retrying cannot fix that, a human must.
      return { kind: 'business', error: (error as Error).message };
    }
    const hasBody = method !== 'GET' && method !== 'DELETE';
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      'idempotency-key': idempotencyKeyOf(item),
      ...(item.correlationId ? { 'x-correlation-id': item.correlationId } : {}),
      ...options.headers,
      ...authHeaders(options.auth),
    };
    // Our own timer rather than AbortSignal.timeout(): that one lives on after the call until it fires.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException(`no answer in ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    try {
      const response = await doFetch(url, {
        method,
        headers,
        body: hasBody ? JSON.stringify(item.payload) : undefined,
        signal: AbortSignal.any([signal, timeout.signal]),
        redirect: 'manual',
      });
      const body = await readBody(response);
      return classifyOutcome({ status: response.status, headers: response.headers, body }, now());
    } catch (error) {
      return classifyOutcome({ error }, now());
    } finally {
      clearTimeout(timer);
    }
  };
}
