import fs from 'node:fs/promises';
import path from 'node:path';
import { readTextIfExists, syncDir, writeFileAtomic } from './atomic-file';
import { readFlowDir, type FlowDirState } from './flow-dir';
import { createLibrary, type Library } from './library';
import { checkManifest, DEFAULT_NODE_PACKAGE_NAME, FORMAT_VERSION, MANIFEST_FILE, serializeManifest, type FlowsManifest } from './manifest';
import { mergeFlowFiles } from './merge';
import { splitFlows } from './split';
import { consoleLog, type FlowNode, type StorageLog } from './types';
import { createUserFiles, type UserFiles } from './user-files';

/**
 * Node-RED storage module (settings.storageModule) that keeps flows in git as one file per
 * tab (layout: flow-file.ts; names: file-names.ts; tab order and package version:
 * manifest.ts) and everything per-installation — credentials, settings, sessions, library —
 * in userDir.
 */

export interface FlowStorageOptions {
  /** The git-tracked flows folder. */
  flowsDir: string;
  /** Node-RED's userDir: credentials, settings, sessions, library. */
  userDir: string;
  /** Production (FLOWS_READONLY=1): the editor may look but not deploy. */
  readOnly: boolean;
  /** Version of our custom-node package that is installed, written to / checked against the manifest. */
  nodePackageVersion: string;
  /** Defaults to @spareparts/node-red-mw. */
  nodePackageName?: string;
  log?: StorageLog;
}

/** What a save did; Node-RED ignores it, logs and tests use it. */
export interface SaveSummary {
  written: string[];
  deleted: string[];
  manifestWritten: boolean;
}

export interface FlowStorage extends UserFiles, Library {
  init(settings?: unknown, runtime?: unknown): Promise<void>;
  getFlows(): Promise<FlowNode[]>;
  saveFlows(flows: FlowNode[], user?: unknown): Promise<SaveSummary>;
}

export const READ_ONLY_MESSAGE =
  'flows are read-only here (FLOWS_READONLY=1): change flows in a development instance and deploy them through git';

export function createFlowStorage(options: FlowStorageOptions): FlowStorage {
  const log = options.log ?? consoleLog;
  const flowsDir = path.resolve(options.flowsDir);
  const userDir = path.resolve(options.userDir);
  const nodePackage = { name: options.nodePackageName ?? DEFAULT_NODE_PACKAGE_NAME, version: options.nodePackageVersion };
  const userFiles = createUserFiles(userDir, log);
  const library = createLibrary(userDir);
  // Saves run one at a time: each compares against what the previous one left on disk.
  let saving: Promise<unknown> = Promise.resolve();

  /** Reads the folder and refuses flows this build cannot run. */
  async function readChecked(): Promise<{ state: FlowDirState; manifest?: FlowsManifest }> {
    const state = await readFlowDir(flowsDir);
    if (state.manifest === undefined) {
      if (state.files.length > 0) log.warn(`${path.join(flowsDir, MANIFEST_FILE)} is missing — tabs are loaded in file-name order`);
      return { state };
    }
    return { state, manifest: checkManifest(state.manifest, { formatVersion: FORMAT_VERSION, nodePackage }) };
  }

  async function writeFlows(flows: FlowNode[]): Promise<SaveSummary> {
    // Unreadable files (say, a merge conflict) throw here: better to refuse a deploy than to
    // overwrite or delete a file whose content we cannot see.
    const { state } = await readChecked();
    const split = splitFlows(flows, state.files, (m) => log.warn(m));
    const before = new Map(state.files.map((f) => [f.name, f.text]));
    const summary: SaveSummary = { written: [], deleted: [], manifestWritten: false };

    // Order matters for a crash mid-save: new files first, then the manifest that points at
    // them, deletions last (merge.ts prefers the manifest's file when a tab exists twice).
    for (const [name, text] of split.files) {
      if (before.get(name) === text) continue;
      await writeFileAtomic(path.join(flowsDir, name), text);
      summary.written.push(name);
    }
    const manifestText = serializeManifest({ formatVersion: FORMAT_VERSION, nodePackage, tabs: split.tabs });
    if (manifestText !== state.manifestText) {
      await writeFileAtomic(path.join(flowsDir, MANIFEST_FILE), manifestText);
      summary.manifestWritten = true;
    }
    for (const name of before.keys()) {
      if (split.files.has(name)) continue;
      await fs.rm(path.join(flowsDir, name), { force: true });
      summary.deleted.push(name);
    }
    if (summary.written.length + summary.deleted.length > 0 || summary.manifestWritten) {
      await syncDir(flowsDir);
      log.info(`flows saved: ${summarize(summary)}`);
    }
    return summary;
  }

  return {
    async init() {
      await fs.mkdir(userDir, { recursive: true });
      const { state, manifest } = await readChecked();
      if (!state.exists) log.info(`${flowsDir} does not exist yet — starting with empty flows`);
      else if (manifest) log.info(`flows: ${state.files.length} files, saved with ${manifest.nodePackage.name} ${manifest.nodePackage.version}`);
    },
    async getFlows() {
      const { state, manifest } = await readChecked();
      return mergeFlowFiles(state.files, manifest?.tabs, (m) => log.warn(m));
    },
    saveFlows(flows) {
      if (options.readOnly) return Promise.reject(new Error(READ_ONLY_MESSAGE));
      const result = saving.then(() => writeFlows(flows));
      saving = result.catch(() => undefined);
      return result;
    },
    ...userFiles,
    // A fresh install has no credentials file yet: start from flows/.credentials-env.json, which
    // holds only ${ENV_VAR} references (Node-RED substitutes them when it creates the node), so a
    // bot token or API key is configured by environment and never written to git.
    async getCredentials() {
      const stored = await userFiles.getCredentials();
      if (Object.keys(stored).length > 0) return stored;
      return readCredentialTemplate(path.join(flowsDir, CREDENTIAL_TEMPLATE_FILE), log);
    },
    ...library,
  };
}

export const CREDENTIAL_TEMPLATE_FILE = '.credentials-env.json';
const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** Node id → {field: "${ENV}"}; anything that is not an env reference is refused, never loaded. */
async function readCredentialTemplate(file: string, log: StorageLog): Promise<Record<string, Record<string, string>>> {
  const text = await readTextIfExists(file);
  if (!text) return {};
  const data = JSON.parse(text) as Record<string, Record<string, unknown>>;
  const out: Record<string, Record<string, string>> = {};
  for (const [nodeId, fields] of Object.entries(data)) {
    for (const [field, value] of Object.entries(fields ?? {})) {
      if (typeof value !== 'string' || !ENV_REFERENCE.test(value)) {
        log.warn(`${file}: ${nodeId}.${field} is not an \${ENV_VAR} reference — ignored (secrets never belong in git)`);
        continue;
      }
      // An unset variable leaves the field out, so the node reports "not configured" once
      // instead of running with a literal "${…}" (a bot would poll an invalid URL forever).
      if (process.env[value.slice(2, -1)] === undefined) {
        log.info(`${nodeId}.${field}: ${value.slice(2, -1)} is not set — left empty`);
        continue;
      }
      (out[nodeId] ??= {})[field] = value;
    }
  }
  return out;
}

function summarize(s: SaveSummary): string {
  const parts = [
    s.written.length ? `wrote ${s.written.join(', ')}` : '',
    s.deleted.length ? `deleted ${s.deleted.join(', ')}` : '',
    s.manifestWritten ? `updated ${MANIFEST_FILE}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}
