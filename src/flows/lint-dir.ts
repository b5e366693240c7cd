import path from 'node:path';
import { readTextIfExists } from './atomic-file';
import { listFlowFileNames, readFlowFile } from './flow-dir';
import { FlowFileError, type FlowFile } from './flow-file';
import { lintFlows, type LintOptions, type LintProblem, type LintRule } from './lint';
import { checkManifest, FORMAT_VERSION, MANIFEST_FILE, parseManifestText, type NodePackageRef } from './manifest';
import type { FlowNode } from './types';

/** The lint applied to a flows folder: per-file loading, manifest checks, problems attributed to files. */

export interface LoadedFlowsDir {
  dir: string;
  files: FlowFile[];
  /** All nodes of all readable files, in file-name order, duplicates kept (the lint reports them). */
  nodes: FlowNode[];
  /** Problems found while loading: unreadable files, manifest issues. */
  problems: LintProblem[];
  fileOf(node: FlowNode): string | undefined;
}

/**
 * Reads a flows folder with the storage's own reader, keeping track of which file each node
 * came from. Nothing is thrown for bad content: each unreadable file or manifest issue becomes
 * a problem, so one run reports everything.
 */
export async function loadFlowsDir(dir: string, nodePackage?: NodePackageRef): Promise<LoadedFlowsDir> {
  const problems: LintProblem[] = [];
  const fileProblem = (file: string, rule: LintRule, message: string): void => void problems.push({ file, nodeId: '', rule, message });
  const files: FlowFile[] = [];
  const origin = new Map<FlowNode, string>();

  for (const name of (await listFlowFileNames(dir)) ?? []) {
    try {
      const file = await readFlowFile(dir, name);
      files.push(file);
      file.nodes.forEach((n) => origin.set(n, name));
    } catch (err) {
      if (!(err instanceof FlowFileError)) throw err;
      fileProblem(name, 'invalid-file', err.message);
    }
  }

  const manifestText = await readTextIfExists(path.join(dir, MANIFEST_FILE));
  if (manifestText === undefined) {
    if (files.length > 0) fileProblem(MANIFEST_FILE, 'manifest', 'missing — the tab order is lost; save the flows once from the editor');
  } else {
    try {
      // Shape and format first, so the tab list is still checked when only the package is off.
      const manifest = checkManifest(parseManifestText(manifestText), { formatVersion: FORMAT_VERSION });
      const tabFiles = new Set(files.filter((f) => f.kind === 'tab').map((f) => f.name));
      for (const name of manifest.tabs) if (!tabFiles.has(name)) fileProblem(MANIFEST_FILE, 'manifest', `lists ${name}, which is not a tab file in ${dir}`);
      for (const name of tabFiles) if (!manifest.tabs.includes(name)) fileProblem(name, 'manifest', `tab file is not listed in ${MANIFEST_FILE}`);
      if (nodePackage) checkManifest(manifest, { formatVersion: FORMAT_VERSION, nodePackage });
    } catch (err) {
      fileProblem(MANIFEST_FILE, 'manifest', (err as Error).message);
    }
  }

  return { dir, files, nodes: files.flatMap((f) => f.nodes), problems, fileOf: (node) => origin.get(node) };
}

export interface FlowsDirLintResult {
  files: number;
  nodes: number;
  problems: LintProblem[];
}

export async function lintFlowsDir(
  dir: string,
  knownTypes: ReadonlySet<string>,
  options: LintOptions & { nodePackage?: NodePackageRef } = {},
): Promise<FlowsDirLintResult> {
  const loaded = await loadFlowsDir(dir, options.nodePackage);
  const problems = [...loaded.problems, ...lintFlows(loaded.nodes, knownTypes, { ...options, fileOf: loaded.fileOf })];
  return { files: loaded.files.length, nodes: loaded.nodes.length, problems };
}

/** One line per problem, e.g. "flows/zakazy.json: node 1a2b… [dangling-wire] function "x" is wired to missing node …". */
export function formatProblem(p: LintProblem): string {
  const where = p.file ? `flows/${p.file}` : 'flows';
  return `${where}: ${p.nodeId ? `node ${p.nodeId} ` : ''}[${p.rule}] ${p.message}`;
}
