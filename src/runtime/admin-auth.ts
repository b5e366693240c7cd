import bcrypt from 'bcryptjs';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readOrCreateSecret } from './secret-file';

export interface AdminCredentials {
  readonly username: string;
  readonly passwordHash: string;
  /** Set only when the password was generated on this start: print it once, never store it. */
  readonly generatedPassword?: string;
}

interface StoredAdmin {
  username: string;
  passwordHash: string;
}

/**
 * The editor is never open without a login. An explicit ADMIN_PASSWORD is hashed at start;
 * otherwise a password is generated on first start and only its bcrypt hash is kept under the
 * data folder, so a fresh clone is safe by default and the operator sees the password once.
 */
export async function resolveAdminCredentials(opts: {
  dataDir: string;
  username: string;
  password?: string;
}): Promise<AdminCredentials> {
  if (opts.password) {
    return { username: opts.username, passwordHash: await bcrypt.hash(opts.password, 10) };
  }
  const file = path.join(opts.dataDir, 'admin.json');
  if (existsSync(file)) {
    const stored = JSON.parse(await readFile(file, 'utf8')) as StoredAdmin;
    if (stored.username === opts.username && stored.passwordHash) return stored;
  }
  const generatedPassword = randomBytes(12).toString('base64url');
  const passwordHash = await bcrypt.hash(generatedPassword, 10);
  await mkdir(opts.dataDir, { recursive: true });
  await writeFile(file, JSON.stringify({ username: opts.username, passwordHash }, null, 2) + '\n', { mode: 0o600 });
  return { username: opts.username, passwordHash, generatedPassword };
}

/** Development only: a stable secret under the data folder, so credentials survive restarts. */
export async function resolveCredentialSecret(dataDir: string, configured?: string): Promise<string> {
  if (configured) return configured;
  return (await readOrCreateSecret(dataDir, 'credential-secret', { hint: 'delete it (flow credentials will need re-entering) or set NODE_RED_CREDENTIAL_SECRET' })).secret;
}
