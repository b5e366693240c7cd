import type { ConfigMigration } from '../../src/node-config/migrations';
import { isSttProviderName, sttConfigFromEnv } from '../../src/stt/factory';
import { SttConfigError } from '../../src/stt/errors';
import type { SttConfig } from '../../src/stt/types';

/** Editor-facing config of the `mw-stt` node, as stored in flows/ (secrets are credentials). */
export interface MwSttDef {
  id: string;
  type: 'mw-stt';
  name: string;
  /** The `mw-config` node giving the database the calls are journaled in (optional). */
  mwConfig: string;
  /** `env`: STT_PROVIDER decides (and STT_* fill every empty field below). */
  provider: 'env' | 'yandex' | 'openai';
  /** Empty: STT_URL, else the provider's public endpoint. */
  url: string;
  /** `ru-RU` (mapped to `ru` for OpenAI); empty: STT_LANGUAGE or ru-RU. */
  language: string;
  /** OpenAI only (whisper-1, gpt-4o-mini-transcribe…); empty: STT_MODEL or whisper-1. */
  model: string;
  /** Yandex only; empty: STT_FOLDER_ID. */
  folderId: string;
  /** Seconds per recognition attempt; 0: STT_TIMEOUT_MS or 15. */
  timeout: number;
  /** Largest voice note downloaded, MB. */
  maxAudioMb: number;
  version: number;
}

export interface MwSttCredentials {
  apiKey?: string;
  iamToken?: string;
}

export const MW_STT_VERSION = 1;

export const mwSttMigrations: readonly ConfigMigration<MwSttDef>[] = [
  {
    to: 1,
    up: (c) => ({
      ...c,
      mwConfig: c.mwConfig ?? '',
      provider: c.provider === 'yandex' || c.provider === 'openai' ? c.provider : 'env',
      url: c.url ?? '',
      language: c.language ?? '',
      model: c.model ?? '',
      folderId: c.folderId ?? '',
      timeout: Number(c.timeout) >= 0 ? Number(c.timeout) : 0,
      maxAudioMb: Number(c.maxAudioMb) > 0 ? Number(c.maxAudioMb) : 20,
    }),
  },
];

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The provider settings of a node: its own fields and credentials first, the STT_* environment
 * for whatever is empty. Throws SttConfigError when no provider is chosen anywhere.
 */
export function sttSettingsFor(def: MwSttDef, credentials: MwSttCredentials, env: Env = process.env): SttConfig {
  const fromEnv = sttConfigFromEnv({ ...env, STT_PROVIDER: def.provider === 'env' ? env.STT_PROVIDER : def.provider });
  if (!fromEnv) throw new SttConfigError('no speech-to-text provider: choose one in the node or set STT_PROVIDER');
  if (!isSttProviderName(fromEnv.provider)) throw new SttConfigError(`unknown provider ${String(fromEnv.provider)}`);
  const text = (v: string | undefined): string | undefined => (v && v.trim() ? v.trim() : undefined);
  return {
    ...fromEnv,
    url: text(def.url) ?? fromEnv.url,
    apiKey: text(credentials.apiKey) ?? fromEnv.apiKey,
    iamToken: text(credentials.iamToken) ?? fromEnv.iamToken,
    folderId: text(def.folderId) ?? fromEnv.folderId,
    language: text(def.language) ?? fromEnv.language ?? 'ru-RU',
    model: text(def.model) ?? fromEnv.model,
    timeoutMs: def.timeout > 0 ? Math.round(def.timeout * 1000) : fromEnv.timeoutMs,
  };
}
