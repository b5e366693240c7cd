import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file so that readers (and a crash) only ever see the old or the new content:
 * the text goes to a hidden temp file in the same directory, is fsynced, then renamed over
 * the target. The temp name starts with a dot and does not end in ".json", so the flows
 * reader never mistakes a leftover for a flow file.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

/**
 * Makes renames and deletions in a directory durable. Best effort: some platforms and
 * file systems refuse to open or fsync a directory, and that must not fail a save.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // not supported here; the data files themselves were fsynced
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Reads a UTF-8 text file; undefined when it does not exist. A BOM (Windows editors) is dropped. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
