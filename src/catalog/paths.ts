import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds a project file by walking up from this module. A fixed relative path would break: nodes
 * are bundled by esbuild into nodes/<name>/<name>.js, where __dirname is no longer src/catalog.
 */
export function findProjectFile(relative: string, from: string = __dirname): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The device dictionary (brand, model, manufacturer codes) the search engine resolves models with. */
export function defaultDevicesFile(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const configured = env.CATALOG_DEVICES_FILE?.trim();
  if (configured) return path.resolve(configured);
  return findProjectFile(path.join('data', 'devices.json'));
}

/** The worker thread's entry (TypeScript, loaded through tsx). */
export function engineWorkerFile(): string | undefined {
  return findProjectFile(path.join('src', 'catalog', 'engine-worker.ts'));
}
