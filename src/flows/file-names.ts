import { GLOBAL_FILE } from './flow-file';
import { MANIFEST_FILE } from './manifest';
import { shortId, slugify } from './slug';

/** A tab or a subflow that needs a file. */
export interface Definition {
  id: string;
  kind: 'tab' | 'subflow';
  label: string;
}

/** A tab or subflow file as found on disk before the save. */
export interface ExistingFile extends Definition {
  name: string;
}

/**
 * Tab slugs that would be mistaken for our other files get a "tab-" prefix, so the file name
 * alone still tells an analyst what is inside.
 */
function baseName(def: Definition): string {
  const slug = slugify(def.label);
  if (def.kind === 'subflow') return `subflow-${slug || shortId(def.id)}`;
  if (!slug) return `tab-${shortId(def.id)}`;
  const reserved = slug === 'manifest' || slug === 'config-nodes' || slug === 'global' || slug === 'subflow' || slug.startsWith('subflow-');
  return reserved ? `tab-${slug}` : slug;
}

/**
 * Chooses a file name for every tab and subflow. Names are stable: a definition whose file on
 * disk still carries the same label keeps that file name, even when it has a collision suffix
 * or was renamed by hand. Renaming a tab renames its file (git shows a rename). Newcomers get
 * "<slug>.json", or "<slug>-<short id>.json" when the plain name is taken; earlier definitions
 * (in editor order) win the plain name.
 */
export function assignFileNames(defs: readonly Definition[], existing: readonly ExistingFile[]): Map<string, string> {
  // Lower-cased, so two names differing only in case never meet on macOS/Windows checkouts.
  const claimed = new Set<string>([MANIFEST_FILE, GLOBAL_FILE]);
  const result = new Map<string, string>();
  const previous = new Map(existing.map((f) => [f.id, f]));

  for (const def of defs) {
    const prev = previous.get(def.id);
    if (prev && prev.kind === def.kind && prev.label === def.label && !claimed.has(prev.name.toLowerCase())) {
      claimed.add(prev.name.toLowerCase());
      result.set(def.id, prev.name);
    }
  }
  for (const def of defs) {
    if (result.has(def.id)) continue;
    const base = baseName(def);
    const candidates = [base, `${base}-${shortId(def.id)}`, `${base}-${shortId(def.id, 64)}`];
    let name = candidates.map((c) => `${c}.json`).find((c) => !claimed.has(c));
    for (let n = 2; !name; n++) {
      const c = `${base}-${shortId(def.id)}-${n}.json`;
      if (!claimed.has(c)) name = c;
    }
    claimed.add(name);
    result.set(def.id, name);
  }
  return result;
}
