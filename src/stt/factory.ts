import { SttConfigError } from './errors';
import { OpenAiTranscriptionProvider } from './openai';
import type { SttConfig, SttProvider, SttProviderName } from './types';
import { YandexSpeechKitProvider } from './yandex';

export const STT_PROVIDERS: readonly SttProviderName[] = ['yandex', 'openai'];

export function isSttProviderName(value: unknown): value is SttProviderName {
  return typeof value === 'string' && (STT_PROVIDERS as readonly string[]).includes(value);
}

/** Builds the configured provider; throws SttConfigError when something required is missing. */
export function createSttProvider(config: SttConfig): SttProvider {
  switch (config.provider) {
    case 'yandex':
      return new YandexSpeechKitProvider(config);
    case 'openai':
      return new OpenAiTranscriptionProvider(config);
    default:
      throw new SttConfigError(`unknown speech-to-text provider "${String((config as { provider?: unknown }).provider)}" (use yandex or openai)`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function positiveInt(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new SttConfigError(`${name}="${raw}" is not a whole number`);
  return n;
}

const text = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

/**
 * Speech-to-text settings from the environment:
 * STT_PROVIDER (yandex | openai; empty or `none`: speech recognition is off → undefined),
 * STT_URL, STT_API_KEY, STT_IAM_TOKEN, STT_FOLDER_ID, STT_LANGUAGE (ru-RU), STT_MODEL (openai),
 * STT_TOPIC (yandex), STT_PROMPT (openai), STT_TIMEOUT_MS (15000), STT_RETRIES (1).
 */
export function sttConfigFromEnv(env: Env = process.env): SttConfig | undefined {
  const provider = text(env, 'STT_PROVIDER')?.toLowerCase();
  if (!provider || provider === 'none' || provider === 'off') return undefined;
  if (!isSttProviderName(provider)) throw new SttConfigError(`STT_PROVIDER="${provider}" is not a provider (use yandex or openai)`);
  return {
    provider,
    url: text(env, 'STT_URL'),
    apiKey: text(env, 'STT_API_KEY'),
    iamToken: text(env, 'STT_IAM_TOKEN'),
    folderId: text(env, 'STT_FOLDER_ID'),
    language: text(env, 'STT_LANGUAGE'),
    model: text(env, 'STT_MODEL'),
    topic: text(env, 'STT_TOPIC'),
    prompt: env.STT_PROMPT,
    timeoutMs: positiveInt(env, 'STT_TIMEOUT_MS'),
    retries: positiveInt(env, 'STT_RETRIES'),
  };
}
