import { isPlainObject, type FlowNode } from './types';

/**
 * Flow lint: catches what the editor lets through but breaks at run time or in review —
 * types that are not installed, wires and links to nodes that are gone, config nodes nobody
 * uses, function nodes that have grown into programs (logic belongs in our typed nodes).
 */

export type LintRule =
  | 'duplicate-id'
  | 'unknown-type'
  | 'unknown-container'
  | 'dangling-wire'
  | 'dangling-link'
  | 'dangling-ref'
  | 'orphan-config'
  | 'long-function'
  | 'credentials-in-flows'
  | 'invalid-file'
  | 'manifest';

export interface LintProblem {
  /** Flow file the node is in, when linting a folder. */
  file?: string;
  /** '' for problems of a whole file. */
  nodeId: string;
  rule: LintRule;
  message: string;
}

export interface LintOptions {
  /** A function node's `func` may have at most this many lines (default 15). */
  maxFunctionLines?: number;
  /** Global nodes that are legitimately used by nobody (e.g. global environment variables). */
  standaloneConfigTypes?: ReadonlySet<string>;
  /** Attributes problems to files; the folder loader supplies it. */
  fileOf?: (node: FlowNode) => string | undefined;
}

/** Types the editor itself provides; they are not registered by any node package. */
export const STRUCTURAL_TYPES: ReadonlySet<string> = new Set(['tab', 'subflow', 'group', 'junction']);
const DEFAULT_STANDALONE = new Set(['global-config', 'ui_base']);
const SUBFLOW_INSTANCE = /^subflow:(.+)$/;
/**
 * Ids the editor generates: 16 hex digits (Node-RED 3+), or "7d1c8f3a.a4b2c" in flows first
 * made with older versions. Used to spot id-valued properties.
 */
const NODE_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{6,8}\.[0-9a-f]{3,8})$/;
/** Free-text properties: an id-looking string there is data, not a reference. */
const TEXT_PROPS = new Set(['id', 'type', 'z', 'g', 'name', 'label', 'info', 'func', 'initialize', 'finalize', 'template', 'payload', 'topic', 'wires', 'links', 'scope']);
const LINK_TARGET: Readonly<Record<string, string>> = { 'link out': 'link in', 'link in': 'link out', 'link call': 'link in' };

function nodeLabel(node: FlowNode): string {
  return typeof node.name === 'string' && node.name ? `${node.type} "${node.name}"` : node.type;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Every string anywhere inside a value (config references can sit in nested env/rules arrays). */
function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, into));
  else if (isPlainObject(value)) Object.values(value).forEach((v) => collectStrings(v, into));
}

/** Targets of a subflow definition's in/out/status ports: [{ wires: [{ id }] }]. */
function portTargets(node: FlowNode): string[] {
  const ports = [...(Array.isArray(node.in) ? node.in : []), ...(Array.isArray(node.out) ? node.out : []), node.status];
  const ids: string[] = [];
  for (const port of ports) {
    if (!isPlainObject(port) || !Array.isArray(port.wires)) continue;
    for (const w of port.wires) if (isPlainObject(w) && typeof w.id === 'string') ids.push(w.id);
  }
  return ids;
}

function lineCount(text: string): number {
  return text.replace(/\s+$/, '').split(/\r?\n/).length;
}

export function lintFlows(nodes: readonly FlowNode[], knownTypes: ReadonlySet<string>, options: LintOptions = {}): LintProblem[] {
  const maxLines = options.maxFunctionLines ?? 15;
  const standalone = options.standaloneConfigTypes ?? DEFAULT_STANDALONE;
  const problems: LintProblem[] = [];
  const report = (node: FlowNode, rule: LintRule, message: string): void => {
    const file = options.fileOf?.(node);
    problems.push({ ...(file ? { file } : {}), nodeId: node.id, rule, message });
  };

  const byId = new Map<string, FlowNode>();
  for (const node of nodes) {
    const first = byId.get(node.id);
    if (first) {
      const where = options.fileOf?.(first);
      report(node, 'duplicate-id', `${nodeLabel(node)}: id is also used by ${nodeLabel(first)}${where ? ` in ${where}` : ''}`);
    } else {
      byId.set(node.id, node);
    }
  }
  const containers = new Set(nodes.filter((n) => n.type === 'tab' || n.type === 'subflow').map((n) => n.id));
  const subflows = new Set(nodes.filter((n) => n.type === 'subflow').map((n) => n.id));

  // Who mentions which id anywhere in its properties (the node's own id excluded).
  const referenced = new Set<string>();
  for (const node of nodes) {
    const mine = new Set<string>();
    for (const [key, value] of Object.entries(node)) if (key !== 'id') collectStrings(value, mine);
    mine.delete(node.id);
    mine.forEach((s) => referenced.add(s));
  }

  for (const node of nodes) {
    const instance = SUBFLOW_INSTANCE.exec(node.type);
    if (instance) {
      if (!subflows.has(instance[1]!)) report(node, 'unknown-type', `subflow instance of missing subflow ${instance[1]}`);
    } else if (!STRUCTURAL_TYPES.has(node.type) && !knownTypes.has(node.type)) {
      report(node, 'unknown-type', `unknown node type "${node.type}" — not in Node-RED core, our node package or an installed contrib package`);
    }

    if (node.z !== undefined && node.z !== '' && !containers.has(node.z)) {
      report(node, 'unknown-container', `${nodeLabel(node)} is on tab/subflow ${node.z} which does not exist`);
    }

    const targets = [...(Array.isArray(node.wires) ? node.wires.flatMap(strings) : []), ...(node.type === 'subflow' ? portTargets(node) : [])];
    for (const target of targets) {
      const t = byId.get(target);
      if (!t) report(node, 'dangling-wire', `${nodeLabel(node)} is wired to missing node ${target}`);
      else if (node.type !== 'subflow' && t.z !== node.z) report(node, 'dangling-wire', `${nodeLabel(node)} is wired to ${target} on another tab`);
    }

    const linkTarget = LINK_TARGET[node.type];
    if (linkTarget) {
      for (const target of strings(node.links)) {
        const t = byId.get(target);
        if (!t) report(node, 'dangling-link', `${nodeLabel(node)} links to missing node ${target}`);
        else if (t.type !== linkTarget) report(node, 'dangling-link', `${nodeLabel(node)} links to ${target}, a ${t.type} (expected ${linkTarget})`);
      }
    }

    checkReferences(node, byId, (m) => report(node, 'dangling-ref', m));

    if (node.z === undefined || node.z === '') {
      const structural = STRUCTURAL_TYPES.has(node.type) || SUBFLOW_INSTANCE.test(node.type);
      if (!structural && !standalone.has(node.type) && !referenced.has(node.id)) {
        report(node, 'orphan-config', `config node ${nodeLabel(node)} is not used by any node — delete it or wire it up`);
      }
    }

    if (node.type === 'function' && typeof node.func === 'string' && lineCount(node.func) > maxLines) {
      report(node, 'long-function', `${nodeLabel(node)} has ${lineCount(node.func)} lines (max ${maxLines}) — move the logic into a typed node`);
    }

    if (Object.hasOwn(node, 'credentials')) {
      report(node, 'credentials-in-flows', `${nodeLabel(node)} carries credentials — they must live in the credentials file, not in flows/`);
    }
  }
  return problems;
}

/**
 * References that are not wires: the group (g), a group's members, catch/status/complete
 * scopes, and top-level properties holding an editor-generated id (config-node references such
 * as "broker" or "bot"; which property is a reference is only known to the node's editor
 * code, so the id shape is the signal).
 */
function checkReferences(node: FlowNode, byId: ReadonlyMap<string, FlowNode>, report: (message: string) => void): void {
  if (typeof node.g === 'string' && byId.get(node.g)?.type !== 'group') report(`${nodeLabel(node)} is in missing group ${node.g}`);
  if (node.type === 'group') for (const id of strings(node.nodes)) if (!byId.has(id)) report(`group lists missing node ${id}`);
  if (Array.isArray(node.scope)) for (const id of strings(node.scope)) if (!byId.has(id)) report(`${nodeLabel(node)} watches missing node ${id}`);
  for (const [key, value] of Object.entries(node)) {
    if (TEXT_PROPS.has(key) || typeof value !== 'string' || !NODE_ID.test(value) || byId.has(value)) continue;
    report(`${nodeLabel(node)} property "${key}" points at missing node ${value}`);
  }
}
