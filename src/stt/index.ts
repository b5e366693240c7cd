// Speech-to-text: pluggable providers (Yandex SpeechKit v1, OpenAI-compatible transcription).
export type { SttAudio, SttConfig, SttLimits, SttProvider, SttProviderName, SttRecognizeOptions, SttResult } from './types';
export {
  isSttError,
  SttAudioLimitError,
  SttAudioTooLargeError,
  SttAudioTooLongError,
  SttAuthError,
  SttBadAudioError,
  SttConfigError,
  SttDownloadError,
  SttEmptyResultError,
  SttError,
  SttNoAudioError,
  SttRequestError,
  SttUnavailableError,
  type SttFailureReason,
} from './errors';
export { createSttProvider, isSttProviderName, STT_PROVIDERS, sttConfigFromEnv } from './factory';
export { YandexSpeechKitProvider, YANDEX_DEFAULT_URL, YANDEX_MAX_BYTES, YANDEX_MAX_SECONDS, yandexEndpoint, yandexLanguage } from './yandex';
export { DEFAULT_STT_PROMPT, OPENAI_DEFAULT_MODEL, OPENAI_DEFAULT_URL, OPENAI_MAX_BYTES, OpenAiTranscriptionProvider, openAiLanguage, openAiTranscriptionsEndpoint } from './openai';
export { detectAudioFormat, oggOpusInfo, transcriptionFileName, type AudioFormat, type OggOpusInfo } from './audio';
export { DEFAULT_MAX_AUDIO_BYTES, downloadAudio, readAudioFile, type DownloadedAudio } from './download';
export { audioSourceOf, recognizeSource, type AudioMessage, type AudioSource } from './source';
export { STT_DIDNT_HEAR, sttFailureText } from './messages';
export { journalSafely, type JournalSink } from './http';
