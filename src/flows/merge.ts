import type { FlowFile } from './flow-file';
import type { FlowNode } from './types';

/**
 * Turns the per-file layout back into the flat array Node-RED expects. Tab order comes from
 * the manifest; the runtime and the editor accept nodes in any other order, so subflows and
 * config nodes simply follow the tabs.
 *
 * Resilience rules (a git merge or a crash between two file writes can leave the folder
 * slightly inconsistent, and start-up must not fail over it):
 * - a manifest entry without a file is skipped with a warning;
 * - a tab file missing from the manifest is appended after the listed ones, by name;
 * - a node id seen twice keeps its first occurrence (manifest-listed files come first, so
 *   after an interrupted tab rename the file the manifest names wins) and warns.
 */
export function mergeFlowFiles(files: readonly FlowFile[], tabOrder: readonly string[] | undefined, warn: (m: string) => void): FlowNode[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const ordered: FlowFile[] = [];
  const taken = new Set<string>();
  const take = (f: FlowFile): void => {
    if (taken.has(f.name)) return;
    taken.add(f.name);
    ordered.push(f);
  };

  for (const name of tabOrder ?? []) {
    const file = byName.get(name);
    if (!file) warn(`flows/manifest.json lists ${name} but there is no such file — skipped`);
    else if (file.kind !== 'tab') warn(`flows/manifest.json lists ${name} as a tab but it holds no tab node — loaded anyway`);
    if (file) take(file);
  }
  for (const kind of ['tab', 'subflow', 'global'] as const) {
    for (const file of files) {
      if (file.kind !== kind || taken.has(file.name)) continue;
      if (kind === 'tab' && tabOrder) warn(`flows/${file.name} is not listed in flows/manifest.json — its tab is put last`);
      take(file);
    }
  }

  const seen = new Map<string, string>();
  const result: FlowNode[] = [];
  for (const file of ordered) {
    for (const node of file.nodes) {
      const first = seen.get(node.id);
      if (first !== undefined) {
        warn(`node ${node.id} is in both flows/${first} and flows/${file.name} — the copy in ${first} is used`);
        continue;
      }
      seen.set(node.id, file.name);
      result.push(node);
    }
  }
  return result;
}
