import { oggOpusInfo, sha256Hex } from './audio';
import { callProvider } from './call';
import {
  SttAudioTooLargeError,
  SttAudioTooLongError,
  SttAuthError,
  SttBadAudioError,
  SttConfigError,
  SttEmptyResultError,
  SttNoAudioError,
  SttRequestError,
  type SttError,
} from './errors';
import type { HttpAnswer } from './http';
import type { SttAudio, SttConfig, SttLimits, SttProvider, SttRecognizeOptions, SttResult } from './types';

export const YANDEX_DEFAULT_URL = 'https://stt.api.cloud.yandex.net';
export const YANDEX_RECOGNIZE_PATH = '/speech/v1/stt:recognize';
/** Synchronous recognition (API v1) limits: 1 MB and 30 s of mono audio. */
export const YANDEX_MAX_BYTES = 1024 * 1024;
export const YANDEX_MAX_SECONDS = 30;

const SHORT_LANGUAGES: Record<string, string> = {
  ru: 'ru-RU', en: 'en-US', kk: 'kk-KZ', uz: 'uz-UZ', tr: 'tr-TR', de: 'de-DE', fr: 'fr-FR', es: 'es-ES', it: 'it-IT', pl: 'pl-PL', pt: 'pt-PT', nl: 'nl-NL', fi: 'fi-FI', sv: 'sv-SE', he: 'he-IL',
};

/** SpeechKit wants `ru-RU`; `ru` and `ru_ru` are accepted here too. */
export function yandexLanguage(language: string | undefined): string {
  const raw = (language ?? '').trim().replace('_', '-');
  if (!raw) return 'ru-RU';
  if (raw.toLowerCase() === 'auto') return 'auto';
  const [primary, region] = raw.split('-');
  if (!region) return SHORT_LANGUAGES[primary.toLowerCase()] ?? raw;
  return `${primary.toLowerCase()}-${region.toUpperCase()}`;
}

export function yandexEndpoint(url: string | undefined): string {
  const base = (url?.trim() || YANDEX_DEFAULT_URL).replace(/\/+$/, '');
  return /stt:recognize$/.test(base) ? base : `${base}${YANDEX_RECOGNIZE_PATH}`;
}

function yandexErrorText(answer: HttpAnswer): string | undefined {
  const body = answer.json as { error_code?: unknown; error_message?: unknown } | undefined;
  if (body && typeof body.error_message === 'string') return typeof body.error_code === 'string' ? `${body.error_code}: ${body.error_message}` : body.error_message;
  return answer.text ? answer.text.slice(0, 300) : undefined;
}

/**
 * Yandex SpeechKit synchronous recognition (API v1): the raw OGG/Opus voice note as the body,
 * parameters in the query, `Authorization: Api-Key <key>` (service account API key) or
 * `Bearer <IAM token>` with `folderId`; answers `{"result": "..."}`.
 */
export class YandexSpeechKitProvider implements SttProvider {
  readonly name = 'yandex' as const;
  readonly limits: SttLimits = { maxBytes: YANDEX_MAX_BYTES, maxSeconds: YANDEX_MAX_SECONDS };
  readonly endpoint: string;

  constructor(private readonly config: SttConfig) {
    if (!config.apiKey && !config.iamToken) throw new SttConfigError('Yandex SpeechKit needs an API key (or an IAM token and a folder id)', { provider: 'yandex' });
    if (!config.apiKey && config.iamToken && !config.folderId) throw new SttConfigError('Yandex SpeechKit with an IAM token needs a folder id', { provider: 'yandex' });
    this.endpoint = yandexEndpoint(config.url);
  }

  async recognize(audio: SttAudio, options: SttRecognizeOptions = {}): Promise<SttResult> {
    const data = audio.data;
    if (!data || data.length === 0) throw new SttNoAudioError('the audio is empty', { provider: this.name });
    if (data.length > YANDEX_MAX_BYTES) {
      throw new SttAudioTooLargeError(`audio of ${data.length} bytes is over SpeechKit's 1 MB limit`, data.length, YANDEX_MAX_BYTES, { provider: this.name });
    }
    const ogg = oggOpusInfo(data);
    if (!ogg || !ogg.opus) throw new SttBadAudioError('SpeechKit v1 needs OGG/Opus audio', { provider: this.name });
    if ((ogg.channels ?? 1) > 1) throw new SttBadAudioError(`SpeechKit v1 needs mono audio, got ${ogg.channels} channels`, { provider: this.name });
    const seconds = ogg.durationSeconds ?? audio.durationSeconds;
    if (seconds !== undefined && seconds > YANDEX_MAX_SECONDS) {
      throw new SttAudioTooLongError(`audio of ${seconds.toFixed(1)} s is over SpeechKit's ${YANDEX_MAX_SECONDS} s limit`, seconds, YANDEX_MAX_SECONDS, { provider: this.name });
    }

    const language = yandexLanguage(options.language ?? this.config.language);
    const query = new URLSearchParams({ lang: language, topic: this.config.topic || 'general', format: 'oggopus' });
    if (this.config.folderId) query.set('folderId', this.config.folderId);
    if (this.config.profanityFilter) query.set('profanityFilter', 'true');
    const authorization = this.config.apiKey ? `Api-Key ${this.config.apiKey}` : `Bearer ${this.config.iamToken}`;
    const started = performance.now();

    const outcome = await callProvider({
      provider: this.name,
      operation: 'stt:recognize',
      url: `${this.endpoint}?${query.toString()}`,
      init: () => ({ method: 'POST', headers: { authorization, 'content-type': 'audio/ogg' }, body: data as Uint8Array<ArrayBuffer> }),
      timeoutMs: this.config.timeoutMs ?? 15_000,
      retries: this.config.retries ?? 1,
      retryDelayMs: this.config.retryDelayMs ?? 300,
      journal: this.config.journal,
      correlationId: options.correlationId,
      signal: options.signal,
      journalRequest: { lang: language, topic: this.config.topic || 'general', bytes: data.length, seconds, sha256: sha256Hex(data) },
      transcript: (answer) => {
        const body = answer.json as { result?: unknown } | undefined;
        const text = typeof body?.result === 'string' ? body.result.trim() : '';
        if (!text) throw new SttEmptyResultError('SpeechKit recognised nothing', { provider: this.name, httpStatus: answer.status });
        return text;
      },
      refusal: (answer) => this.refusal(answer, data.length, seconds),
      errorText: yandexErrorText,
    });
    return {
      transcript: outcome.transcript,
      provider: this.name,
      language,
      audioBytes: data.length,
      audioSeconds: seconds,
      durationMs: Math.round(performance.now() - started),
      attempts: outcome.attempts,
    };
  }

  private refusal(answer: HttpAnswer, bytes: number, seconds: number | undefined): SttError {
    const body = answer.json as { error_code?: unknown; error_message?: unknown } | undefined;
    const providerCode = typeof body?.error_code === 'string' ? body.error_code : undefined;
    const message = yandexErrorText(answer) ?? `HTTP ${answer.status}`;
    const details = { provider: this.name, httpStatus: answer.status, providerCode };
    if (answer.status === 401 || answer.status === 403) return new SttAuthError(`SpeechKit refused the credentials: ${message}`, details);
    if (answer.status === 413 || /\b(size|1\s?MB|too large)\b/i.test(message)) return new SttAudioTooLargeError(`SpeechKit: ${message}`, bytes, YANDEX_MAX_BYTES, details);
    if (/duration|too long|\b30\s?s\b/i.test(message)) return new SttAudioTooLongError(`SpeechKit: ${message}`, seconds ?? NaN, YANDEX_MAX_SECONDS, details);
    if (/audio|ogg|opus|channel|format|empty/i.test(message)) return new SttBadAudioError(`SpeechKit: ${message}`, details);
    return new SttRequestError(`SpeechKit refused the request: ${message}`, details);
  }
}
