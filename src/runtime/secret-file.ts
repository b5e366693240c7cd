import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors';

export interface SecretFileOptions {
  /** Random bytes of a newly generated secret (default 32). */
  readonly bytes?: number;
  readonly encoding?: 'hex' | 'base64url';
  /** What to tell the operator if the file exists but stays empty (e.g. "or set OPS_API_TOKEN"). */
  readonly hint?: string;
}

/**
 * A development secret kept under the data folder: read it when present, otherwise generate one
 * and write it with mode 0600. 'wx' makes two processes starting together agree on one secret:
 * the first writer wins and the other reads its value. Returns whether it was generated now, so
 * a caller can show it once.
 */
export async function readOrCreateSecret(dataDir: string, name: string, options: SecretFileOptions = {}): Promise<{ secret: string; generated: boolean }> {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return { secret: await readFilled(file, options.hint), generated: false };
  const secret = randomBytes(options.bytes ?? 32).toString(options.encoding ?? 'hex');
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return { secret, generated: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { secret: await readFilled(file, options.hint), generated: false };
    throw error;
  }
}

/** Reads the file, waiting briefly while a concurrent writer has created but not yet filled it. */
async function readFilled(file: string, hint = 'delete it to generate a new one'): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const text = (await readFile(file, 'utf8')).trim();
    if (text) return text;
    if (attempt >= 20) throw new StartupError(`${file} is empty`, hint);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
