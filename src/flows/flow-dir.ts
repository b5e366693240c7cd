import fs from 'node:fs/promises';
import path from 'node:path';
import { readTextIfExists } from './atomic-file';
import { parseFlowFile, type FlowFile } from './flow-file';
import { MANIFEST_FILE, parseManifestText } from './manifest';

/** What is on disk in the flows folder; shared by the storage and the lint. */
export interface FlowDirState {
  exists: boolean;
  /** Parsed but unchecked manifest (callers decide what to expect); undefined when absent. */
  manifest?: unknown;
  manifestText?: string;
  files: FlowFile[];
}

/**
 * Flow files are the *.json files directly in the folder, minus the manifest and dotfiles
 * (editor backups, our temp files). Subfolders are left alone so mapping tables or docs can
 * live next to the flows.
 */
export async function listFlowFileNames(dir: string): Promise<string[] | undefined> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json') && !e.name.startsWith('.') && e.name !== MANIFEST_FILE)
    .map((e) => e.name)
    .sort();
}

export async function readFlowFile(dir: string, name: string): Promise<FlowFile> {
  const text = await fs.readFile(path.join(dir, name), 'utf8');
  return parseFlowFile(name, text);
}

/** Reads the whole folder; throws FlowFileError for the first unreadable file. */
export async function readFlowDir(dir: string): Promise<FlowDirState> {
  const names = await listFlowFileNames(dir);
  if (!names) return { exists: false, files: [] };
  const manifestText = await readTextIfExists(path.join(dir, MANIFEST_FILE));
  const manifest = manifestText === undefined ? undefined : parseManifestText(manifestText);
  const files = await Promise.all(names.map((name) => readFlowFile(dir, name)));
  return { exists: true, manifest, manifestText, files };
}
