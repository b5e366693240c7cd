import { readFileSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from '../errors';
import { isPlainObject } from './types';

/**
 * flows/manifest.json ties the flow files to the code that can run them:
 *
 *   {
 *     "formatVersion": 1,
 *     "nodePackage": { "name": "@spareparts/node-red-mw", "version": "0.1.0" },
 *     "tabs": ["zakazy.json", "poisk.json"]
 *   }
 *
 * formatVersion is the layout of the flows folder (bumped only when this module changes how
 * files are split); nodePackage is our custom-node package the flows were last saved with;
 * tabs is the editor's tab order as file names (readable in a diff, and a tab's file is easy
 * to find from it).
 */

export const FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const DEFAULT_NODE_PACKAGE_NAME = '@spareparts/node-red-mw';

/** How errors name the file; the folder is flows/ in every deployment we ship. */
const LABEL = 'flows/manifest.json';

export interface NodePackageRef {
  name: string;
  version: string;
}

export interface FlowsManifest {
  formatVersion: number;
  nodePackage: NodePackageRef;
  tabs: string[];
}

export interface ManifestExpectation {
  formatVersion: number;
  /** The installed node package; omit to check only the shape and the format version. */
  nodePackage?: NodePackageRef;
}

interface Version {
  major: number;
  minor: number;
}

/** Accepts "2", "2.1", "2.1.3" and pre-release/build suffixes; patch never matters here. */
function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0) };
}

function malformed(detail: string): StartupError {
  return new StartupError(`${LABEL} is malformed: ${detail} — fix the file (see git history) or restore it`);
}

function validateShape(manifest: unknown): FlowsManifest {
  if (!isPlainObject(manifest)) throw malformed('expected a JSON object');
  const { formatVersion, nodePackage, tabs } = manifest;
  if (typeof formatVersion !== 'number' || !Number.isInteger(formatVersion)) {
    throw malformed('"formatVersion" must be an integer');
  }
  if (!isPlainObject(nodePackage) || typeof nodePackage.name !== 'string' || typeof nodePackage.version !== 'string') {
    throw malformed('"nodePackage" must be { "name": "...", "version": "x.y.z" }');
  }
  if (!Array.isArray(tabs) || !tabs.every((t) => typeof t === 'string')) {
    throw malformed('"tabs" must be an array of file names');
  }
  return {
    formatVersion,
    nodePackage: { name: nodePackage.name, version: nodePackage.version },
    tabs: [...tabs],
  };
}

/**
 * Checks that the flows in git can run on this build and returns the typed manifest.
 * Pure: throws a StartupError whose message is the single line to show the operator.
 * Compatibility is semver for a consumer: the installed package must have the same major
 * and at least the manifest's minor (flows may use nodes or options added in that minor).
 */
export function checkManifest(manifest: unknown, expected: ManifestExpectation): FlowsManifest {
  const m = validateShape(manifest);
  if (m.formatVersion !== expected.formatVersion) {
    throw new StartupError(
      `${LABEL} has formatVersion ${m.formatVersion} but this build reads formatVersion ${expected.formatVersion}` +
        ' — check out flows that match this build or update the middleware',
    );
  }
  const installed = expected.nodePackage;
  if (!installed) return m;
  if (m.nodePackage.name !== installed.name) {
    throw new StartupError(
      `${LABEL} is for node package "${m.nodePackage.name}" but "${installed.name}" is installed` +
        ' — check that FLOWS_DIR points at this project\'s flows',
    );
  }
  const need = parseVersion(m.nodePackage.version);
  if (!need) throw malformed(`nodePackage.version "${m.nodePackage.version}" is not a version like 1.2.0`);
  const have = parseVersion(installed.version);
  if (!have) throw new StartupError(`installed node package version "${installed.version}" is not a version like 1.2.0`);
  const needText = `${need.major}.${need.minor}`;
  if (need.major > have.major || (need.major === have.major && need.minor > have.minor)) {
    throw new StartupError(
      `${LABEL} needs node package ${needText} but ${installed.version} is installed` +
        ' — upgrade the node package or check out matching flows',
    );
  }
  if (need.major < have.major) {
    throw new StartupError(
      `${LABEL} was saved with node package ${needText} but ${installed.version} is installed (major versions differ)` +
        ` — migrate the flows to ${have.major}.x or install node package ${need.major}.x`,
    );
  }
  return m;
}

/** Parses the manifest text; invalid JSON (e.g. a merge conflict) becomes one clear line. */
export function parseManifestText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformed(`not valid JSON (${(err as Error).message})`);
  }
}

/** Same layout as the flow files: 2-space JSON and a trailing newline. */
export function serializeManifest(manifest: FlowsManifest): string {
  const ordered: FlowsManifest = {
    formatVersion: manifest.formatVersion,
    nodePackage: { name: manifest.nodePackage.name, version: manifest.nodePackage.version },
    tabs: manifest.tabs,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * Start-up check before anything else is started: synchronous so it can sit at the top of the
 * boot sequence. Returns undefined on a first start (no manifest yet; the first save writes it).
 */
export function readAndCheckManifest(flowsDir: string, nodePackage: NodePackageRef): FlowsManifest | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(flowsDir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return checkManifest(parseManifestText(text.replace(/^\uFEFF/, '')), { formatVersion: FORMAT_VERSION, nodePackage });
}
