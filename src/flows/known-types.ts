import fs from 'node:fs/promises';
import path from 'node:path';
import { isPlainObject } from './types';

/**
 * Which node types exist, found by reading source instead of booting Node-RED: every
 * `RED.nodes.registerType('x'` with a literal name in
 *   - Node-RED core nodes (node_modules/@node-red/nodes/core),
 *   - our node package (nodes/: package.json "node-red.nodes" keys + registerType in its sources),
 *   - every package in node_modules with a "node-red" section (contrib nodes).
 * Fast (no runtime start) and good enough for a lint: a type registered under a computed name
 * is missed, which shows up as a lint failure on the first use and is easy to allow-list.
 */

const REGISTER = /RED\.nodes\.registerType\(\s*(['"`])([^'"`$\\]+)\1/g;

/** Type names registered with a literal name in one source text (.html or .js/.ts). */
export function registeredTypesIn(source: string): string[] {
  return [...source.matchAll(REGISTER)].map((m) => m[2]!);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function readPackageJson(dir: string): Promise<Record<string, unknown> | undefined> {
  const text = await readIfExists(path.join(dir, 'package.json'));
  if (text === undefined) return undefined;
  try {
    const data: unknown = JSON.parse(text);
    return isPlainObject(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

/** Source files under dir (recursively), skipping node_modules and type declarations. */
async function sourceFiles(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) out.push(...(await sourceFiles(full)));
    else if (e.isFile() && /\.(html|js|ts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

async function addFromFiles(files: readonly string[], into: Set<string>): Promise<void> {
  for (const file of files) {
    const text = await readIfExists(file);
    if (text !== undefined) registeredTypesIn(text).forEach((t) => into.add(t));
  }
}

/** The "node-red": { "nodes": { set: "file.js" } } map of a package, if any. */
function nodeRedNodes(pkg: Record<string, unknown> | undefined): Record<string, string> | undefined {
  const section = pkg?.['node-red'];
  if (!isPlainObject(section) || !isPlainObject(section.nodes)) return undefined;
  return Object.fromEntries(Object.entries(section.nodes).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A contrib package: the node .js files it declares and the .html next to each. */
async function addContribPackage(dir: string, into: Set<string>): Promise<void> {
  const nodes = nodeRedNodes(await readPackageJson(dir));
  if (!nodes) return;
  const files = Object.values(nodes).flatMap((js) => {
    const full = path.join(dir, js);
    return [full, full.replace(/\.js$/, '.html')];
  });
  await addFromFiles(files, into);
}

async function packageDirs(nodeModules: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(nodeModules, { withFileTypes: true });
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || !(e.isDirectory() || e.isSymbolicLink())) continue;
    const full = path.join(nodeModules, e.name);
    if (!e.name.startsWith('@')) dirs.push(full);
    else if (e.name !== '@node-red') for (const scoped of await fs.readdir(full).catch(() => [])) dirs.push(path.join(full, scoped));
  }
  return dirs;
}

export interface KnownTypesSources {
  /** Project root holding node_modules/. */
  projectRoot: string;
  /** Our node package; defaults to <projectRoot>/nodes. */
  nodePackageDir?: string;
}

export async function discoverKnownTypes(sources: KnownTypesSources): Promise<Set<string>> {
  const types = new Set<string>();
  const nodeModules = path.join(sources.projectRoot, 'node_modules');
  await addFromFiles(await sourceFiles(path.join(nodeModules, '@node-red', 'nodes', 'core')), types);

  const ours = sources.nodePackageDir ?? path.join(sources.projectRoot, 'nodes');
  Object.keys(nodeRedNodes(await readPackageJson(ours)) ?? {}).forEach((t) => types.add(t));
  await addFromFiles(await sourceFiles(ours), types);

  for (const dir of await packageDirs(nodeModules)) await addContribPackage(dir, types);
  // Core registers "unknown" as the editor's placeholder for missing types; a flow file
  // holding that type is a broken export, not a real node.
  types.delete('unknown');
  return types;
}
