import { isPlainObject, type FlowNode } from './types';

/**
 * The format of one flow file. Every file in flows/ is a plain JSON array of Node-RED nodes —
 * the same format as the editor's Export/Import dialog, so an analyst can paste a file straight
 * into Node-RED — written with 2-space indentation and a trailing newline:
 *
 *   <tab-slug>.json          [ tab node, ...nodes with z = tab id, sorted by id ]
 *   subflow-<slug>.json      [ subflow definition, ...nodes with z = subflow id, sorted by id ]
 *   config-nodes.json        [ global nodes (no z): config nodes, sorted by id ]
 *
 * The kind of a file is taken from its first node, not from its name, so a hand-renamed file
 * still loads. Credentials never appear here: Node-RED stores them separately (userDir).
 */

export const GLOBAL_FILE = 'config-nodes.json';

export type FlowFileKind = 'tab' | 'subflow' | 'global';

export interface FlowFile {
  /** Base name inside the flows folder, e.g. "zakazy.json". */
  name: string;
  kind: FlowFileKind;
  /** The tab or subflow node of a tab/subflow file. */
  definition?: FlowNode;
  nodes: FlowNode[];
  /** The exact text on disk, compared with the new text to skip unchanged files. */
  text: string;
}

/** A flow file that cannot be read; the message names the file and says what to do. */
export class FlowFileError extends Error {
  override readonly name = 'FlowFileError';
  constructor(readonly file: string, detail: string) {
    super(`flows/${file}: ${detail}`);
  }
}

/** Definitions first, then by id: the order is stable whatever order the editor sends. */
function byId(a: FlowNode, b: FlowNode): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function isDefinition(node: FlowNode): boolean {
  return node.type === 'tab' || node.type === 'subflow';
}

/** The text of a flow file: definition node first, the rest sorted by id. */
export function serializeFlowFile(nodes: readonly FlowNode[]): string {
  const definition = nodes.find(isDefinition);
  const rest = nodes.filter((n) => n !== definition).sort(byId);
  const ordered = definition ? [definition, ...rest] : rest;
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Node-RED's label for a tab, the name for a subflow; '' when unset. */
export function definitionLabel(node: FlowNode): string {
  const value = node.type === 'tab' ? node.label : node.name;
  return typeof value === 'string' ? value : '';
}

/** Parses and checks one flow file; throws FlowFileError with a one-line reason. */
export function parseFlowFile(name: string, text: string): FlowFile {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const conflict = /^(<<<<<<<|>>>>>>>|=======)/m.test(text) ? ' (unresolved git merge conflict?)' : '';
    throw new FlowFileError(name, `not valid JSON${conflict}: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new FlowFileError(name, 'expected a JSON array of nodes');
  const nodes: FlowNode[] = [];
  data.forEach((item: unknown, index) => {
    if (!isPlainObject(item) || typeof item.id !== 'string' || item.id === '' || typeof item.type !== 'string') {
      throw new FlowFileError(name, `item ${index} is not a node (needs string "id" and "type")`);
    }
    nodes.push(item as FlowNode);
  });
  const first = nodes[0];
  if (first && isDefinition(first)) {
    return { name, kind: first.type === 'tab' ? 'tab' : 'subflow', definition: first, nodes, text };
  }
  return { name, kind: 'global', nodes, text };
}
