import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds contracts/ by walking up from this module. A fixed relative path would break: nodes are
 * bundled by esbuild into nodes/<name>/<name>.js, where __dirname is no longer src/validation.
 */
export function findContractsDir(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, 'contracts');
    if (existsSync(path.join(candidate, 'errors.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`contracts/ (with errors.json) not found above ${from}`);
    dir = parent;
  }
}
