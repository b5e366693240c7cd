import fs from 'node:fs/promises';
import path from 'node:path';
import type { NodePackageRef } from './manifest';

/** Name and version of our node package (nodes/package.json); undefined when it is not there. */
export async function readNodePackage(dir: string): Promise<NodePackageRef | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, 'package.json'), 'utf8');
  } catch {
    return undefined;
  }
  const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
  if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string') {
    throw new Error(`${path.join(dir, 'package.json')} needs string "name" and "version"`);
  }
  return { name: pkg.name, version: pkg.version };
}
