import type { ProblemDetails, ProblemFieldError } from './problem';
import { catalogueEntry, codeForStatus, isProblemCode, type ProblemCode } from './problem-catalogue';

export interface ProblemOptions {
  /** Human-readable explanation of this occurrence; shown to API clients. */
  detail?: string;
  /** Which request it was about; we use the request path (never the query: it may hold personal data). */
  instance?: string;
  correlationId?: string;
  errors?: ProblemFieldError[];
  /** Extension members (e.g. `retry_after`); they cannot override the standard members. */
  extra?: Record<string, unknown>;
}

const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'correlation_id', 'errors']);
const MAX_DETAIL = 500;

/**
 * Builds the problem for a catalogue code. An unknown code (a typo in a flow) becomes INTERNAL
 * rather than throwing: this runs on error paths, where throwing again would lose the response.
 */
export function problemFromCode(code: ProblemCode | string, options: ProblemOptions = {}): ProblemDetails {
  const entry = catalogueEntry(isProblemCode(code) ? code : 'INTERNAL');
  // Member order as in RFC 9457, then ours: easier to read in logs and curl output.
  const problem = { type: entry.type, title: entry.title, status: entry.status } as ProblemDetails;
  if (options.detail) problem.detail = truncate(options.detail);
  if (options.instance) problem.instance = options.instance;
  problem.code = entry.code;
  if (options.correlationId) problem.correlation_id = options.correlationId;
  if (options.errors?.length) problem.errors = options.errors;
  for (const [key, value] of Object.entries(options.extra ?? {})) {
    if (!RESERVED.has(key) && value !== undefined) problem[key] = value;
  }
  return problem;
}

/**
 * An error that is meant to reach the client as a given problem: throw it from route code or
 * pass it to a node's done(); its message becomes the public `detail`. Node-RED copies `code`
 * into a Catch node's msg.error, so mw-problem recognises it there as well.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly code: ProblemCode;
  readonly errors?: ProblemFieldError[];
  readonly extra?: Record<string, unknown>;
  constructor(code: ProblemCode, detail?: string, options: { errors?: ProblemFieldError[]; extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(detail ?? catalogueEntry(code).title, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errors = options.errors;
    this.extra = options.extra;
  }

  get status(): number {
    return catalogueEntry(this.code).status;
  }

  // Node-RED builds a Catch node's msg.error.message from toString(); keep it the bare detail.
  override toString(): string {
    return this.message;
  }
}

export interface FromErrorOptions {
  instance?: string;
  correlationId?: string;
  /** Show the message of unexpected errors as `detail` (off in production: it can leak internals). */
  exposeMessage?: boolean;
  /** The code for errors nothing more specific is known about; INTERNAL by default. */
  fallbackCode?: ProblemCode;
}

const GENERIC_DETAIL = 'The middleware could not process the request. Quote the correlation id when reporting it.';
const UPSTREAM_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET']);
const UPSTREAM_SLOW = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  type?: unknown;
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  limit?: unknown;
  errors?: unknown;
  extra?: unknown;
}

/**
 * Maps anything thrown (an Error, a Catch node's msg.error, a body-parser or http-errors error)
 * to a problem. Only deliberate problems (a catalogue `code`) and client errors the thrower
 * marked as exposable show their message; everything else becomes a generic INTERNAL so stack
 * traces, SQL and host names never reach a client.
 */
export function problemFromError(err: unknown, options: FromErrorOptions = {}): ProblemDetails {
  const e: ErrorLike = typeof err === 'object' && err !== null ? (err as ErrorLike) : { message: typeof err === 'string' ? err : undefined };
  const base = { instance: options.instance, correlationId: options.correlationId };
  const message = cleanMessage(e.message);

  if (isProblemCode(e.code)) {
    return problemFromCode(e.code, {
      ...base,
      // A ProblemError without its own detail carries the title as message: do not repeat it.
      detail: message === catalogueEntry(e.code).title ? undefined : message,
      errors: Array.isArray(e.errors) ? (e.errors as ProblemFieldError[]) : undefined,
      extra: isPlainObject(e.extra) ? e.extra : undefined,
    });
  }
  const bodyParser = fromBodyParser(e, message);
  if (bodyParser) return problemFromCode(bodyParser.code, { ...base, detail: bodyParser.detail });

  if (typeof e.code === 'string' && UPSTREAM_DOWN.has(e.code)) {
    return problemFromCode('UPSTREAM_UNAVAILABLE', { ...base, detail: 'An upstream system is not reachable; retry later.' });
  }
  if ((typeof e.code === 'string' && UPSTREAM_SLOW.has(e.code)) || e.name === 'TimeoutError') {
    return problemFromCode('UPSTREAM_TIMEOUT', { ...base, detail: 'An upstream system did not answer in time; retry later.' });
  }

  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) {
    // http-errors marks 4xx messages as safe to show (expose); respect an explicit `false`.
    return problemFromCode(codeForStatus(status) ?? 'BAD_REQUEST', { ...base, detail: e.expose === false ? undefined : message });
  }

  const code = options.fallbackCode ?? 'INTERNAL';
  return problemFromCode(code, { ...base, detail: options.exposeMessage && message ? message : code === 'INTERNAL' ? GENERIC_DETAIL : undefined });
}

/** body-parser tags its errors with `type`; the messages are its own and safe to show. */
function fromBodyParser(e: ErrorLike, message: string | undefined): { code: ProblemCode; detail?: string } | undefined {
  switch (e.type) {
    case 'entity.parse.failed':
      return { code: 'MALFORMED_JSON', detail: message ? `The body is not valid JSON: ${message}` : undefined };
    case 'entity.too.large':
      return { code: 'PAYLOAD_TOO_LARGE', detail: typeof e.limit === 'number' ? `The body is larger than the limit of ${e.limit} bytes.` : undefined };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: message };
    case 'request.aborted':
    case 'request.size.invalid':
      return { code: 'BAD_REQUEST', detail: message };
    default:
      return undefined;
  }
}

/** A Catch node's message is `err.toString()` ("TypeError: …"); the prefix means nothing to clients. */
function cleanMessage(message: unknown): string | undefined {
  if (typeof message !== 'string') return undefined;
  const text = message.replace(/^[A-Za-z]*Error: /, '').trim();
  return text ? truncate(text) : undefined;
}

function truncate(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
