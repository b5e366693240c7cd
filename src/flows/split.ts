import { definitionLabel, GLOBAL_FILE, serializeFlowFile, type FlowFile } from './flow-file';
import { assignFileNames, type Definition, type ExistingFile } from './file-names';
import type { FlowNode } from './types';

export interface SplitResult {
  /** File name → file text, for every file the folder should contain. */
  files: Map<string, string>;
  /** Tab file names in editor order, for the manifest. */
  tabs: string[];
}

/** Credentials belong in the encrypted credentials file, never in git. */
function withoutCredentials(node: FlowNode): FlowNode {
  if (!Object.hasOwn(node, 'credentials')) return node;
  const { credentials: _dropped, ...rest } = node;
  return rest as FlowNode;
}

/**
 * Splits Node-RED's flat flows array into per-file texts (see flow-file.ts for the format).
 * Pure: `existing` (the files on disk) only feeds file-name stability.
 * A node whose z names no tab or subflow is kept in config-nodes.json with a warning rather
 * than dropped, so nothing the editor sent is ever lost.
 */
export function splitFlows(flows: readonly FlowNode[], existing: readonly FlowFile[], warn: (m: string) => void): SplitResult {
  const defs: Definition[] = [];
  const buckets = new Map<string, FlowNode[]>();
  for (const node of flows) {
    if ((node.type === 'tab' || node.type === 'subflow') && !buckets.has(node.id)) {
      defs.push({ id: node.id, kind: node.type, label: definitionLabel(node) });
      buckets.set(node.id, []);
    }
  }

  const global: FlowNode[] = [];
  for (const raw of flows) {
    const node = withoutCredentials(raw);
    const bucket = buckets.get(node.z ?? '') ?? buckets.get(node.id);
    if (bucket) {
      bucket.push(node);
    } else {
      if (node.z !== undefined && node.z !== '') warn(`node ${node.id} (${node.type}) is on unknown tab ${node.z} — kept in flows/${GLOBAL_FILE}`);
      global.push(node);
    }
  }

  const previous: ExistingFile[] = existing
    .filter((f): f is FlowFile & { definition: FlowNode; kind: 'tab' | 'subflow' } => f.kind !== 'global' && f.definition !== undefined)
    .map((f) => ({ id: f.definition.id, kind: f.kind, label: definitionLabel(f.definition), name: f.name }));
  const names = assignFileNames(defs, previous);

  const files = new Map<string, string>();
  const tabs: string[] = [];
  for (const def of defs) {
    const name = names.get(def.id)!;
    files.set(name, serializeFlowFile(buckets.get(def.id)!));
    if (def.kind === 'tab') tabs.push(name);
  }
  if (global.length > 0) files.set(GLOBAL_FILE, serializeFlowFile(global));
  return { files, tabs };
}
