import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file';

/**
 * The editor's library (saved functions, templates, flow snippets) under userDir/lib/<type>/,
 * in Node-RED's own on-disk format — "// key: value" header lines, then the body — so an
 * existing Node-RED library folder can be reused as is.
 */

/** A file in a library folder listing: its header fields plus its file name. */
export type LibraryFileMeta = Record<string, string> & { fn: string };
/** A folder listing: sub-folder names first, then files. */
export type LibraryListing = Array<string | LibraryFileMeta>;

export interface Library {
  getLibraryEntry(type: string, entryPath: string): Promise<string | LibraryListing>;
  saveLibraryEntry(type: string, entryPath: string, meta: Record<string, unknown>, body: string): Promise<void>;
}

const HEADER = /^\/\/ (\w+): (.*)$/;

const toSingleLine = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const fromSingleLine = (text: string): string => text.replace(/\\[\\n]/g, (s) => (s === '\\\\' ? '\\' : '\n'));

function splitHeaders(text: string): { meta: Record<string, string>; body: string } {
  const lines = text.split('\n');
  const meta: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = HEADER.exec(lines[i]!);
    if (!m) break;
    meta[m[1]!] = fromSingleLine(m[2]!);
  }
  return { meta, body: lines.slice(i).join('\n') };
}

/** Node-RED already rejects "../"; resolving again keeps this module safe on its own. */
function forbidden(): Error {
  return Object.assign(new Error('library path is outside the library folder'), { code: 'forbidden' });
}

function resolveInside(root: string, ...parts: string[]): string {
  const full = path.resolve(root, ...parts);
  if (full !== root && !full.startsWith(root + path.sep)) throw forbidden();
  return full;
}

export function createLibrary(userDir: string): Library {
  const libDir = path.resolve(userDir, 'lib');

  async function listFolder(folder: string): Promise<LibraryListing> {
    const entries = (await fs.readdir(folder, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const dirs: string[] = [];
    const files: LibraryFileMeta[] = [];
    for (const e of entries) {
      const stat = await fs.stat(path.join(folder, e.name));
      if (stat.isDirectory()) dirs.push(e.name);
      else files.push({ ...splitHeaders(await fs.readFile(path.join(folder, e.name), 'utf8')).meta, fn: e.name });
    }
    return [...dirs, ...files];
  }

  async function getLibraryEntry(type: string, entryPath: string): Promise<string | LibraryListing> {
    const root = resolveInside(libDir, type);
    const full = resolveInside(root, entryPath);
    try {
      const stat = await fs.stat(full);
      if (stat.isFile()) return splitHeaders(await fs.readFile(full, 'utf8')).body;
      return await listFolder(full);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Same fallbacks as Node-RED: an absent folder is empty, "flows/x" may mean "flows/x.json".
      if (entryPath === '' || entryPath.endsWith('/')) return [];
      if (type === 'flows' && !entryPath.endsWith('.json')) return getLibraryEntry(type, `${entryPath}.json`);
      throw new Error(`Library Entry not found ${entryPath}`, { cause: err });
    }
  }

  async function saveLibraryEntry(type: string, entryPath: string, meta: Record<string, unknown>, body: string): Promise<void> {
    const name = type === 'flows' && !entryPath.endsWith('.json') ? `${entryPath}.json` : entryPath;
    const full = resolveInside(resolveInside(libDir, type), name);
    const headers = Object.entries(meta)
      .map(([key, value]) => `// ${key}: ${toSingleLine(String(value))}\n`)
      .join('');
    await writeFileAtomic(full, headers + body);
  }

  return { getLibraryEntry, saveLibraryEntry };
}
