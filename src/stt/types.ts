import type { JournalSink } from './http';

export type SttProviderName = 'yandex' | 'openai';

/** The audio to recognise. */
export interface SttAudio {
  readonly data: Buffer;
  /** Original file name (`voice/file_3.oga`); decides the upload name for OpenAI. */
  readonly fileName?: string;
  /** Duration the sender reported (Telegram `voice.duration`), used when the file has none. */
  readonly durationSeconds?: number;
}

export interface SttRecognizeOptions {
  /** Overrides the configured language for this call (`ru-RU`, `ru`, `en-US`…). */
  readonly language?: string;
  /** Journaled with the call. */
  readonly correlationId?: string;
  readonly signal?: AbortSignal;
}

export interface SttResult {
  /** What was said, trimmed; never empty (empty results throw SttEmptyResultError). */
  readonly transcript: string;
  readonly provider: SttProviderName;
  /** The language as sent to the provider. */
  readonly language: string;
  readonly audioBytes: number;
  readonly audioSeconds?: number;
  /** Wall time of the recognition including retries, ms. */
  readonly durationMs: number;
  readonly attempts: number;
}

export interface SttLimits {
  /** Largest audio the provider accepts, bytes. */
  readonly maxBytes: number;
  /** Longest audio it recognises in one call, seconds (undefined: no fixed limit). */
  readonly maxSeconds?: number;
}

/** A speech-to-text backend. */
export interface SttProvider {
  readonly name: SttProviderName;
  readonly limits: SttLimits;
  /** Throws an SttError subclass (errors.ts) for every failure. */
  recognize(audio: SttAudio, options?: SttRecognizeOptions): Promise<SttResult>;
}

/** Everything needed to build a provider (createSttProvider). */
export interface SttConfig {
  readonly provider: SttProviderName;
  /**
   * Base URL or full endpoint. Yandex: `https://stt.api.cloud.yandex.net` (the path
   * `/speech/v1/stt:recognize` is added). OpenAI-compatible: `https://api.openai.com/v1`
   * (`/audio/transcriptions` is added; `/v1` too when the URL has no version).
   */
  readonly url?: string;
  /** Yandex: API key (`Authorization: Api-Key …`); OpenAI: the Bearer key. */
  readonly apiKey?: string;
  /** Yandex only: IAM token (`Authorization: Bearer …`), needs folderId. */
  readonly iamToken?: string;
  /** Yandex only: the folder; required with an IAM token, optional with a service account API key. */
  readonly folderId?: string;
  /** `ru-RU` by default; mapped per provider (`ru` for OpenAI). */
  readonly language?: string;
  /** OpenAI only: `whisper-1` by default (`gpt-4o-mini-transcribe`, …). */
  readonly model?: string;
  /** Yandex only: `general` by default. */
  readonly topic?: string;
  /** Yandex only. */
  readonly profanityFilter?: boolean;
  /** OpenAI only: a vocabulary hint (part and brand names), improves domain words. */
  readonly prompt?: string;
  /** Per attempt, ms; default 15000. */
  readonly timeoutMs?: number;
  /** Extra attempts on connection errors and 429/5xx (not on timeouts); default 1. */
  readonly retries?: number;
  /** Pause before a retry, ms; default 300. */
  readonly retryDelayMs?: number;
  /** Where each call is journaled (system `stt`). */
  readonly journal?: JournalSink;
}
