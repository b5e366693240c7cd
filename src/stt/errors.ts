/**
 * Typed failures of speech recognition. Every one carries a `reason` the bot maps to a polite
 * answer (messages.ts), a stable `code`, and whether trying again later may help.
 */
export type SttFailureReason =
  | 'unavailable'
  | 'empty'
  | 'too_long'
  | 'too_large'
  | 'bad_audio'
  | 'auth'
  | 'rejected'
  | 'not_configured'
  | 'download_failed'
  | 'no_audio'
  | 'internal';

export interface SttErrorDetails {
  provider?: string;
  /** HTTP status of the provider's answer, when there was one. */
  httpStatus?: number;
  /** The provider's own error code (`BAD_REQUEST`, `invalid_api_key`, …). */
  providerCode?: string;
  cause?: unknown;
}

export abstract class SttError extends Error {
  abstract readonly reason: SttFailureReason;
  abstract readonly code: string;
  /** Whether the same audio may succeed later (outage, overload), so a retry makes sense. */
  readonly retryable: boolean = false;
  readonly provider?: string;
  readonly httpStatus?: number;
  readonly providerCode?: string;

  constructor(message: string, details: SttErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.provider = details.provider;
    this.httpStatus = details.httpStatus;
    this.providerCode = details.providerCode;
  }
}

/** The provider could not be reached, timed out, or answered 5xx / 429. */
export class SttUnavailableError extends SttError {
  override readonly name = 'SttUnavailableError';
  readonly reason = 'unavailable';
  readonly code = 'STT_UNAVAILABLE';
  override readonly retryable = true;
  /** The call was cut by our timeout (not retried: the user is waiting). */
  readonly timedOut: boolean;
  constructor(message: string, details: SttErrorDetails & { timedOut?: boolean } = {}) {
    super(message, details);
    this.timedOut = details.timedOut ?? false;
  }
}

/** The provider heard nothing (silence, noise, or a language it did not expect). */
export class SttEmptyResultError extends SttError {
  override readonly name = 'SttEmptyResultError';
  readonly reason = 'empty';
  readonly code = 'STT_EMPTY_RESULT';
}

/** Audio over a provider's limit, found before sending or reported by the provider. */
export abstract class SttAudioLimitError extends SttError {
  abstract readonly limit: 'duration' | 'size';
  constructor(
    message: string,
    readonly actual: number,
    readonly max: number,
    details: SttErrorDetails = {},
  ) {
    super(message, details);
  }
}

/** Longer than the provider recognises synchronously (SpeechKit v1: 30 s). */
export class SttAudioTooLongError extends SttAudioLimitError {
  override readonly name = 'SttAudioTooLongError';
  readonly reason = 'too_long';
  readonly code = 'STT_AUDIO_TOO_LONG';
  readonly limit = 'duration';
}

/** Bigger than the provider accepts (SpeechKit v1: 1 MB, OpenAI: 25 MB). */
export class SttAudioTooLargeError extends SttAudioLimitError {
  override readonly name = 'SttAudioTooLargeError';
  readonly reason = 'too_large';
  readonly code = 'STT_AUDIO_TOO_LARGE';
  readonly limit = 'size';
}

/** Not audio the provider can decode (not Ogg/Opus for SpeechKit, stereo, corrupted…). */
export class SttBadAudioError extends SttError {
  override readonly name = 'SttBadAudioError';
  readonly reason = 'bad_audio';
  readonly code = 'STT_BAD_AUDIO';
}

/** 401/403: the key or token is wrong, expired, or lacks the role. Needs ops, not a retry. */
export class SttAuthError extends SttError {
  override readonly name = 'SttAuthError';
  readonly reason = 'auth';
  readonly code = 'STT_AUTH';
}

/** Any other refusal (4xx): a parameter the provider does not accept. */
export class SttRequestError extends SttError {
  override readonly name = 'SttRequestError';
  readonly reason = 'rejected';
  readonly code = 'STT_REJECTED';
}

/** No provider, URL or credentials configured. */
export class SttConfigError extends SttError {
  override readonly name = 'SttConfigError';
  readonly reason = 'not_configured';
  readonly code = 'STT_NOT_CONFIGURED';
}

/** The voice note could not be fetched (Telegram file URL, local path). */
export class SttDownloadError extends SttError {
  override readonly name = 'SttDownloadError';
  readonly reason = 'download_failed';
  readonly code = 'STT_DOWNLOAD_FAILED';
  override readonly retryable: boolean;
  constructor(message: string, details: SttErrorDetails & { retryable?: boolean } = {}) {
    super(message, details);
    this.retryable = details.retryable ?? false;
  }
}

/** The message carried nothing that looks like audio. */
export class SttNoAudioError extends SttError {
  override readonly name = 'SttNoAudioError';
  readonly reason = 'no_audio';
  readonly code = 'STT_NO_AUDIO';
}

export function isSttError(error: unknown): error is SttError {
  return error instanceof SttError;
}
