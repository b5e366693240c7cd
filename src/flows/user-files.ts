import path from 'node:path';
import { readTextIfExists, writeFileAtomic } from './atomic-file';
import { isPlainObject, type StorageLog } from './types';

/**
 * Per-installation state that must not go to git: credentials, runtime settings and editor
 * sessions, as JSON files in userDir with Node-RED's usual names so ops recognise them.
 * Credentials arrive already encrypted when credentialSecret is set; they are persisted as given.
 */
export const CREDENTIALS_FILE = 'flows_cred.json';
/** Holds the whole settings object (Node-RED splits it in several .config.*.json files; one is enough here). */
export const SETTINGS_FILE = '.config.runtime.json';
export const SESSIONS_FILE = '.sessions.json';

export type JsonObject = Record<string, unknown>;

export interface UserFiles {
  getCredentials(): Promise<JsonObject>;
  saveCredentials(credentials: JsonObject): Promise<void>;
  getSettings(): Promise<JsonObject>;
  saveSettings(settings: JsonObject): Promise<void>;
  getSessions(): Promise<JsonObject>;
  saveSessions(sessions: JsonObject): Promise<void>;
}

/**
 * Reads a JSON object file; a missing or empty file is {}. A corrupt credentials or settings
 * file throws instead of silently starting empty: settings hold _credentialSecret, and
 * carrying on would overwrite the only copy of the secrets on the next save.
 */
async function readObject(file: string, onCorrupt: 'throw' | 'reset', log: StorageLog): Promise<JsonObject> {
  const text = await readTextIfExists(file);
  if (text === undefined || text.trim() === '') return {};
  try {
    const data: unknown = JSON.parse(text);
    if (isPlainObject(data)) return data;
    throw new Error('not a JSON object');
  } catch (err) {
    const line = `${file} is not a valid JSON object (${(err as Error).message})`;
    if (onCorrupt === 'throw') throw new Error(`${line} — restore it from a backup or remove it to start empty`);
    log.warn(`${line} — starting empty`);
    return {};
  }
}

export function createUserFiles(userDir: string, log: StorageLog): UserFiles {
  const file = (name: string): string => path.join(userDir, name);
  // Node-RED saves settings after many editor actions; skip the disk when nothing changed.
  let lastSettingsText: string | undefined;

  return {
    getCredentials: () => readObject(file(CREDENTIALS_FILE), 'throw', log),
    saveCredentials: (credentials) => writeFileAtomic(file(CREDENTIALS_FILE), `${JSON.stringify(credentials, null, 2)}\n`),
    async getSettings() {
      const settings = await readObject(file(SETTINGS_FILE), 'throw', log);
      lastSettingsText = `${JSON.stringify(settings, null, 2)}\n`;
      return settings;
    },
    async saveSettings(settings) {
      const text = `${JSON.stringify(settings, null, 2)}\n`;
      if (text === lastSettingsText) return;
      await writeFileAtomic(file(SETTINGS_FILE), text);
      lastSettingsText = text;
    },
    // Sessions are disposable (users log in again), so a corrupt file is just reset.
    getSessions: () => readObject(file(SESSIONS_FILE), 'reset', log),
    saveSessions: (sessions) => writeFileAtomic(file(SESSIONS_FILE), JSON.stringify(sessions)),
  };
}
