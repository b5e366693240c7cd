import { httpRequest, isTransientStatus, journalSafely, sleep, TransportError, type HttpAnswer, type JournalSink } from './http';
import { SttError, SttUnavailableError } from './errors';
import type { SttProviderName } from './types';

export interface CallPlan {
  readonly provider: SttProviderName;
  /** Journal operation (`stt:recognize`, `audio.transcriptions`). */
  readonly operation: string;
  readonly url: string;
  /** Builds the request for one attempt (a FormData body cannot be sent twice). */
  readonly init: () => RequestInit;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly journal?: JournalSink;
  readonly correlationId?: string;
  readonly signal?: AbortSignal;
  /** What the journal keeps about the request (never the audio itself, never credentials). */
  readonly journalRequest: Record<string, unknown>;
  /** The transcript from a 2xx answer, or throws SttError; non-2xx answers go to `refusal`. */
  readonly transcript: (answer: HttpAnswer) => string;
  /** The SttError for a non-2xx answer that is not transient. */
  readonly refusal: (answer: HttpAnswer) => SttError;
  /** The provider's error text of an answer, for the journal. */
  readonly errorText: (answer: HttpAnswer) => string | undefined;
}

export interface CallOutcome {
  readonly transcript: string;
  readonly attempts: number;
  readonly durationMs: number;
}

/**
 * One recognition with bounded retries: connection failures and 429/5xx are tried again
 * (`retries` times), timeouts are not (the master is waiting for an answer). Every attempt is
 * journaled as system `stt`: `ok`, `retry` (another attempt follows) or `error`.
 */
export async function callProvider(plan: CallPlan): Promise<CallOutcome> {
  const started = performance.now();
  const attempts = 1 + Math.max(0, Math.floor(plan.retries));
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= attempts;
    const record = (status: string, fields: { httpStatus?: number; durationMs: number; body?: unknown; error?: unknown }): void =>
      journalSafely(plan.journal, {
        correlationId: plan.correlationId ?? null,
        system: 'stt',
        operation: plan.operation,
        direction: 'out',
        status,
        attempt,
        httpStatus: fields.httpStatus ?? null,
        durationMs: fields.durationMs,
        body: { provider: plan.provider, request: plan.journalRequest, ...(fields.body === undefined ? {} : { response: fields.body }) },
        bodyMode: 'masked',
        error: fields.error,
      });

    let answer: HttpAnswer;
    try {
      answer = await httpRequest(plan.url, { ...plan.init(), timeoutMs: plan.timeoutMs, signal: plan.signal });
    } catch (error) {
      const transport = error instanceof TransportError ? error : new TransportError(String(error), false, 0);
      const retry = !last && !transport.timedOut && !plan.signal?.aborted;
      record(retry ? 'retry' : 'error', { durationMs: transport.durationMs, error: `${plan.provider}: ${transport.message}` });
      if (retry) {
        await sleep(plan.retryDelayMs);
        continue;
      }
      throw new SttUnavailableError(`${plan.provider} speech recognition is unreachable: ${transport.message}`, { provider: plan.provider, timedOut: transport.timedOut, cause: error });
    }

    if (answer.status >= 200 && answer.status < 300) {
      let transcript: string;
      try {
        transcript = plan.transcript(answer);
      } catch (error) {
        record('error', { httpStatus: answer.status, durationMs: answer.durationMs, body: answer.json ?? answer.text.slice(0, 2000), error });
        throw error;
      }
      record('ok', { httpStatus: answer.status, durationMs: answer.durationMs, body: answer.json ?? answer.text.slice(0, 2000) });
      return { transcript, attempts: attempt, durationMs: Math.round(performance.now() - started) };
    }

    const providerText = plan.errorText(answer) ?? `HTTP ${answer.status}`;
    if (isTransientStatus(answer.status)) {
      const retry = !last && !plan.signal?.aborted;
      record(retry ? 'retry' : 'error', { httpStatus: answer.status, durationMs: answer.durationMs, body: answer.json ?? answer.text.slice(0, 2000), error: providerText });
      if (retry) {
        await sleep(plan.retryDelayMs);
        continue;
      }
      throw new SttUnavailableError(`${plan.provider} speech recognition answered ${answer.status}: ${providerText}`, { provider: plan.provider, httpStatus: answer.status });
    }
    record('error', { httpStatus: answer.status, durationMs: answer.durationMs, body: answer.json ?? answer.text.slice(0, 2000), error: providerText });
    throw plan.refusal(answer);
  }
}
