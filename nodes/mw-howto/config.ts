import { DEFAULT_LLM_MODEL, llmConfigFromEnv, type LlmConfig } from '../../src/howto/llm-client';
import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-howto` node, as stored in flows/ (the key is a credential). */
export interface MwHowtoDef {
  id: string;
  type: 'mw-howto';
  name: string;
  /** The `mw-config` node giving the database LLM calls are journaled in (optional). */
  mwConfig: string;
  /** `env`: an LLM when LLM_URL is set; `on`: this node's URL (or LLM_URL); `off`: curated tips only. */
  llm: 'env' | 'on' | 'off';
  /** Empty: LLM_URL. */
  url: string;
  /** Empty: LLM_MODEL or gpt-4o-mini. */
  model: string;
  /** Seconds for the LLM; 0: LLM_TIMEOUT_MS or 8. After it, the curated tip answers. */
  timeout: number;
  version: number;
}

export interface MwHowtoCredentials {
  apiKey?: string;
}

export const MW_HOWTO_VERSION = 1;

export const mwHowtoMigrations: readonly ConfigMigration<MwHowtoDef>[] = [
  {
    to: 1,
    up: (c) => ({
      ...c,
      mwConfig: c.mwConfig ?? '',
      llm: c.llm === 'on' || c.llm === 'off' ? c.llm : 'env',
      url: c.url ?? '',
      model: c.model ?? '',
      timeout: Number(c.timeout) >= 0 ? Number(c.timeout) : 0,
    }),
  },
];

type Env = Readonly<Record<string, string | undefined>>;

/** The LLM settings of a node, or undefined for curated tips only. Throws when `on` has no URL. */
export function llmSettingsFor(def: MwHowtoDef, credentials: MwHowtoCredentials, env: Env = process.env): LlmConfig | undefined {
  if (def.llm === 'off') return undefined;
  const fromEnv = llmConfigFromEnv(env);
  const url = def.url.trim() || fromEnv?.url;
  if (!url) {
    if (def.llm === 'on') throw new Error('mw-howto: the LLM is on but has no URL (set it in the node or LLM_URL)');
    return undefined;
  }
  return {
    ...fromEnv,
    url,
    apiKey: credentials.apiKey?.trim() || fromEnv?.apiKey,
    model: def.model.trim() || fromEnv?.model || DEFAULT_LLM_MODEL,
    timeoutMs: def.timeout > 0 ? Math.round(def.timeout * 1000) : fromEnv?.timeoutMs,
  };
}
