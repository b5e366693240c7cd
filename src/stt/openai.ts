import { detectAudioFormat, mimeTypeOf, oggOpusInfo, sha256Hex, transcriptionFileName } from './audio';
import { callProvider } from './call';
import { SttAudioTooLargeError, SttAuthError, SttBadAudioError, SttEmptyResultError, SttNoAudioError, SttRequestError, type SttError } from './errors';
import type { HttpAnswer } from './http';
import type { SttAudio, SttConfig, SttLimits, SttProvider, SttRecognizeOptions, SttResult } from './types';

export const OPENAI_DEFAULT_URL = 'https://api.openai.com/v1';
export const OPENAI_DEFAULT_MODEL = 'whisper-1';
/** Upload limit of the OpenAI audio endpoints (25 MB). */
export const OPENAI_MAX_BYTES = 26_214_400;
/** A vocabulary hint: Whisper-style models spell domain words better when they see them first. */
export const DEFAULT_STT_PROMPT = 'Запчасти для телефонов: дисплей, тачскрин, АКБ, аккумулятор, шлейф, разъём зарядки, задняя крышка, iPhone, Samsung Galaxy, Xiaomi Redmi, Poco, Honor.';

/** ISO-639-1 as the transcription API wants it: `ru-RU` → `ru`; `auto`/empty → undefined (detect). */
export function openAiLanguage(language: string | undefined): string | undefined {
  const raw = (language ?? '').trim();
  if (!raw || raw.toLowerCase() === 'auto') return undefined;
  return raw.split(/[-_]/)[0].toLowerCase();
}

export function openAiTranscriptionsEndpoint(url: string | undefined): string {
  const base = (url?.trim() || OPENAI_DEFAULT_URL).replace(/\/+$/, '');
  if (/\/audio\/transcriptions$/.test(base)) return base;
  if (/\/v\d+(beta)?$/.test(base)) return `${base}/audio/transcriptions`;
  return `${base}/v1/audio/transcriptions`;
}

function openAiErrorText(answer: HttpAnswer): string | undefined {
  const body = answer.json as { error?: { message?: unknown; code?: unknown } | string } | undefined;
  if (body && typeof body.error === 'object' && typeof body.error.message === 'string') return body.error.message;
  if (body && typeof body.error === 'string') return body.error;
  return answer.text ? answer.text.slice(0, 300) : undefined;
}

/**
 * OpenAI-compatible transcription (`POST {base}/audio/transcriptions`, multipart `file`,
 * `model`, `language`, `response_format=json`, Bearer key) → `{"text": "..."}`. Works with
 * OpenAI and the self-hosted servers that copy its API (faster-whisper-server, LocalAI, …).
 */
export class OpenAiTranscriptionProvider implements SttProvider {
  readonly name = 'openai' as const;
  readonly limits: SttLimits = { maxBytes: OPENAI_MAX_BYTES };
  readonly endpoint: string;
  readonly model: string;

  constructor(private readonly config: SttConfig) {
    this.endpoint = openAiTranscriptionsEndpoint(config.url);
    this.model = config.model?.trim() || OPENAI_DEFAULT_MODEL;
  }

  async recognize(audio: SttAudio, options: SttRecognizeOptions = {}): Promise<SttResult> {
    const data = audio.data;
    if (!data || data.length === 0) throw new SttNoAudioError('the audio is empty', { provider: this.name });
    if (data.length > OPENAI_MAX_BYTES) {
      throw new SttAudioTooLargeError(`audio of ${data.length} bytes is over the 25 MB upload limit`, data.length, OPENAI_MAX_BYTES, { provider: this.name });
    }
    if (!detectAudioFormat(data)) throw new SttBadAudioError('not an audio format the transcription API accepts', { provider: this.name });
    const fileName = transcriptionFileName(audio.fileName, data);
    const seconds = oggOpusInfo(data)?.durationSeconds ?? audio.durationSeconds;
    const language = openAiLanguage(options.language ?? this.config.language ?? 'ru-RU');
    const prompt = this.config.prompt ?? DEFAULT_STT_PROMPT;
    const headers: Record<string, string> = {};
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    const started = performance.now();

    const outcome = await callProvider({
      provider: this.name,
      operation: 'audio.transcriptions',
      url: this.endpoint,
      init: () => {
        const form = new FormData();
        form.append('file', new Blob([data as Uint8Array<ArrayBuffer>], { type: mimeTypeOf(fileName) }), fileName);
        form.append('model', this.model);
        if (language) form.append('language', language);
        if (prompt) form.append('prompt', prompt);
        form.append('response_format', 'json');
        return { method: 'POST', headers, body: form };
      },
      timeoutMs: this.config.timeoutMs ?? 15_000,
      retries: this.config.retries ?? 1,
      retryDelayMs: this.config.retryDelayMs ?? 300,
      journal: this.config.journal,
      correlationId: options.correlationId,
      signal: options.signal,
      journalRequest: { model: this.model, language, fileName, bytes: data.length, seconds, sha256: sha256Hex(data) },
      transcript: (answer) => {
        const body = answer.json as { text?: unknown } | undefined;
        const text = typeof body?.text === 'string' ? body.text.trim() : '';
        if (!text) throw new SttEmptyResultError('the transcription is empty', { provider: this.name, httpStatus: answer.status });
        return text;
      },
      refusal: (answer) => this.refusal(answer, data.length),
      errorText: openAiErrorText,
    });
    return {
      transcript: outcome.transcript,
      provider: this.name,
      language: language ?? 'auto',
      audioBytes: data.length,
      audioSeconds: seconds,
      durationMs: Math.round(performance.now() - started),
      attempts: outcome.attempts,
    };
  }

  private refusal(answer: HttpAnswer, bytes: number): SttError {
    const body = answer.json as { error?: { code?: unknown; param?: unknown } } | undefined;
    const providerCode = typeof body?.error?.code === 'string' ? body.error.code : undefined;
    const message = openAiErrorText(answer) ?? `HTTP ${answer.status}`;
    const details = { provider: this.name, httpStatus: answer.status, providerCode };
    if (answer.status === 401 || answer.status === 403) return new SttAuthError(`the transcription API refused the key: ${message}`, details);
    if (answer.status === 413) return new SttAudioTooLargeError(`transcription API: ${message}`, bytes, OPENAI_MAX_BYTES, details);
    if (/file format|corrupted|unsupported|too short|audio/i.test(message) || body?.error?.param === 'file') return new SttBadAudioError(`transcription API: ${message}`, details);
    return new SttRequestError(`the transcription API refused the request: ${message}`, details);
  }
}
