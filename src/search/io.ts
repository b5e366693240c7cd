// Loading catalog snapshots and device dictionaries from files (fixtures,
// synthetic benchmark catalogs). The engine itself never touches the disk.
import * as fs from 'node:fs';
import type { CatalogItem, DeviceInfo } from './types';

/** Reads a JSON-lines file; blank lines are skipped, a bad line fails with its number. */
export function readJsonl<T>(file: string): T[] {
  const out: T[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        out.push(JSON.parse(line) as T);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: ${(e as Error).message}`);
      }
    });
  return out;
}

export function loadCatalog(file: string): CatalogItem[] {
  return readJsonl<CatalogItem>(file);
}

export function loadDevices(file: string): DeviceInfo[] {
  if (!fs.existsSync(file)) return [];
  return JSON.parse(fs.readFileSync(file, 'utf8')) as DeviceInfo[];
}
