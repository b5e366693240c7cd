import { problemFromCode, problemFromError, sendProblem, type ProblemDetails, type ProblemFieldError, type ProblemResponse } from './problem';
import { isProblemCode, type ProblemCode } from './problem-catalogue';
import { problemContextOf, type ProblemContext } from './problem-request';

/**
 * Problems in Node-RED messages. A message from an `http in` node carries the Express request as
 * `msg.req` and a wrapper with the Express response as `msg.res._res` (what the core `http
 * response` node writes to). Flows that do not come from HTTP (Telegram, MQTT) have neither.
 */
export interface HttpMessage {
  req?: Record<string, unknown>;
  res?: { _res?: ProblemResponse };
  correlationId?: unknown;
  correlation_id?: unknown;
  [key: string]: unknown;
}

export function responseOf(msg: HttpMessage): ProblemResponse | undefined {
  const res = msg.res?._res;
  return res && typeof res.status === 'function' && typeof res.send === 'function' ? res : undefined;
}

export function problemContextOfMsg(msg: HttpMessage): ProblemContext {
  if (msg.req && typeof msg.req === 'object') return problemContextOf(msg.req);
  // Non-HTTP flows carry their correlation id on the message itself.
  const id = typeof msg.correlationId === 'string' ? msg.correlationId : typeof msg.correlation_id === 'string' ? msg.correlation_id : undefined;
  return id ? { correlationId: id } : {};
}

export type SendOutcome = 'sent' | 'no-response' | 'already-sent';

/** Answers the HTTP request of the message, if it has one that was not answered yet. */
export function sendProblemToMsg(msg: HttpMessage, problem: ProblemDetails, headers: Record<string, string> = {}): SendOutcome {
  const res = responseOf(msg);
  if (!res) return 'no-response';
  if (res.headersSent) return 'already-sent';
  for (const [name, value] of Object.entries(headers)) res.set(name, value);
  sendProblem(res, problem);
  return 'sent';
}

/** What a flow can put in msg.problem: a catalogue code and the occurrence's details. */
export interface MsgProblemInput {
  code?: string;
  detail?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

export interface ProblemForMsgOptions {
  readonly defaultCode: ProblemCode;
  /** Show messages of unexpected errors (msg.error) to the client. */
  readonly exposeMessages: boolean;
}

/**
 * The problem for a message: msg.problem (set by the flow) wins over msg.error (set by a Catch
 * node); with neither, the default code. `unknownCode` reports a code the catalogue lacks, which
 * was replaced by INTERNAL, so the node can warn about the flow's typo.
 */
export function problemForMsg(msg: HttpMessage, options: ProblemForMsgOptions): { problem: ProblemDetails; unknownCode?: string } {
  const context = problemContextOfMsg(msg);
  const input = msg.problem;
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const { code, detail, errors, type: _t, title: _ti, status: _s, instance: _i, correlation_id: _c, ...extra } = input as MsgProblemInput;
    const wanted = code ?? options.defaultCode;
    const problem = problemFromCode(wanted, {
      ...context,
      detail: typeof detail === 'string' ? detail : undefined,
      errors: Array.isArray(errors) ? errors : undefined,
      extra,
    });
    return isProblemCode(wanted) ? { problem } : { problem, unknownCode: String(wanted) };
  }
  if (msg.error !== undefined) {
    return { problem: problemFromError(msg.error, { ...context, exposeMessage: options.exposeMessages, fallbackCode: options.defaultCode }) };
  }
  return { problem: problemFromCode(options.defaultCode, context) };
}
