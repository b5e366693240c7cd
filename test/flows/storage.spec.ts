import fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import p from 'node:path';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { FORMAT_VERSION } from '../../src/flows/manifest';
import { createFlowStorage, type FlowStorageOptions } from '../../src/flows/storage';
import type { FlowNode } from '../../src/flows/types';
import { canonical, clone, quietLog, recordingLog, sampleFlows, tempDir } from './fixtures';

async function listJson(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

async function snapshot(dir: string): Promise<Map<string, { text: string; ino: number; mtimeMs: number }>> {
  const out = new Map<string, { text: string; ino: number; mtimeMs: number }>();
  for (const name of await listJson(dir)) {
    const file = path.join(dir, name);
    const stat = await fs.stat(file);
    out.set(name, { text: await fs.readFile(file, 'utf8'), ino: stat.ino, mtimeMs: stat.mtimeMs });
  }
  return out;
}

const readJson = async (file: string): Promise<unknown> => JSON.parse(await fs.readFile(file, 'utf8'));
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('flows storage (one file per tab)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let flowsDir: string;
  let userDir: string;

  const make = (overrides: Partial<FlowStorageOptions> = {}) =>
    createFlowStorage({ flowsDir, userDir, readOnly: false, nodePackageVersion: '0.1.0', log: quietLog, ...overrides });

  beforeEach(async () => {
    ({ dir: root, cleanup } = await tempDir());
    flowsDir = path.join(root, 'flows');
    userDir = path.join(root, 'user');
  });
  afterEach(() => cleanup());

  it('starts empty when the flows folder does not exist', async () => {
    const storage = make();
    await storage.init();
    assert.deepEqual(await storage.getFlows(), []);
  });

  it('splits into tab, subflow and config files and merges back with tab order preserved', async () => {
    const storage = make();
    await storage.init();
    const flows = sampleFlows();
    await storage.saveFlows(clone(flows));

    assert.deepEqual(await listJson(flowsDir), ['config-nodes.json', 'manifest.json', 'poisk.json', 'subflow-normalizatsiya.json', 'zakazy.json']);
    const manifest = await readJson(path.join(flowsDir, 'manifest.json'));
    assert.deepEqual(manifest, {
      formatVersion: FORMAT_VERSION,
      nodePackage: { name: '@spareparts/node-red-mw', version: '0.1.0' },
      tabs: ['zakazy.json', 'poisk.json'],
    });

    // A tab file: the tab first, then its nodes by id; 2-space JSON with a trailing newline.
    const text = await fs.readFile(path.join(flowsDir, 'zakazy.json'), 'utf8');
    assert.ok(text.endsWith(']\n') && text.includes('\n  {\n    "id"'));
    const ids = (JSON.parse(text) as FlowNode[]).map((n) => n.id);
    assert.deepEqual(ids, ['tab0000000000001', 'grp0000000000001', 'n000000000000001', 'n000000000000002', 'n000000000000003']);
    assert.deepEqual((await readJson(path.join(flowsDir, 'subflow-normalizatsiya.json')) as FlowNode[]).map((n) => n.id), ['sub0000000000001', 'sfn0000000000001']);
    assert.deepEqual((await readJson(path.join(flowsDir, 'config-nodes.json')) as FlowNode[]).map((n) => n.id), ['cf90000000000001']);

    const loaded = await make().getFlows();
    assert.deepEqual(canonical(loaded), canonical(flows));
    const tabOrder = loaded.filter((n) => n.type === 'tab').map((n) => n.label);
    assert.deepEqual(tabOrder, ['Заказы', 'Поиск']);
  });

  it('keeps a reordered tab list in the manifest only', async () => {
    const storage = make();
    await storage.saveFlows(sampleFlows());
    const before = await snapshot(flowsDir);
    const reordered = sampleFlows();
    [reordered[0], reordered[1]] = [reordered[1]!, reordered[0]!];
    const summary = await storage.saveFlows(reordered);
    assert.deepEqual(summary, { written: [], deleted: [], manifestWritten: true });
    const after = await snapshot(flowsDir);
    for (const name of ['zakazy.json', 'poisk.json', 'config-nodes.json']) assert.equal(after.get(name)!.ino, before.get(name)!.ino);
    const loaded = await storage.getFlows();
    assert.deepEqual(loaded.filter((n) => n.type === 'tab').map((n) => n.label), ['Поиск', 'Заказы']);
  });

  it('rewrites exactly the one file whose tab changed', async () => {
    const storage = make();
    await storage.saveFlows(sampleFlows());
    const before = await snapshot(flowsDir);
    await pause(20);

    const changed = sampleFlows();
    changed.find((n) => n.id === 'n000000000000001')!.func = 'msg.payload = 1;\nreturn msg;';
    // The editor sends nodes in its own order; that alone must not cause writes
    // (tabs keep their relative order, everything else is shuffled).
    const shuffled = [...changed.filter((n) => n.type === 'tab'), ...changed.filter((n) => n.type !== 'tab').reverse()];
    const summary = await storage.saveFlows(shuffled);
    assert.deepEqual(summary, { written: ['zakazy.json'], deleted: [], manifestWritten: false });

    const after = await snapshot(flowsDir);
    assert.deepEqual([...after.keys()], [...before.keys()]);
    for (const [name, was] of before) {
      const now = after.get(name)!;
      if (name === 'zakazy.json') {
        assert.notEqual(now.text, was.text);
      } else {
        assert.equal(now.text, was.text, name);
        assert.equal(now.ino, was.ino, `${name} was replaced`);
        assert.equal(now.mtimeMs, was.mtimeMs, `${name} was touched`);
      }
    }
    // An identical save writes nothing at all.
    assert.deepEqual(await storage.saveFlows(changed), { written: [], deleted: [], manifestWritten: false });
  });

  it('deletes the file of a deleted tab and drops it from the manifest', async () => {
    const storage = make();
    await storage.saveFlows(sampleFlows());
    const without = sampleFlows().filter((n) => n.id !== 'tab0000000000000' && n.z !== 'tab0000000000000');
    const summary = await storage.saveFlows(without);
    assert.deepEqual(summary.deleted, ['poisk.json']);
    assert.equal(summary.manifestWritten, true);
    assert.ok(!(await listJson(flowsDir)).includes('poisk.json'));
    assert.deepEqual(((await readJson(path.join(flowsDir, 'manifest.json'))) as { tabs: string[] }).tabs, ['zakazy.json']);
  });

  it('renames the file when a tab is renamed (git sees a rename), keeps it otherwise', async () => {
    const storage = make();
    await storage.saveFlows(sampleFlows());
    const renamed = sampleFlows();
    renamed.find((n) => n.id === 'tab0000000000001')!.label = 'Заказы Неси';
    const summary = await storage.saveFlows(renamed);
    assert.deepEqual(summary, { written: ['zakazy-nesi.json'], deleted: ['zakazy.json'], manifestWritten: true });
    assert.deepEqual(((await readJson(path.join(flowsDir, 'manifest.json'))) as { tabs: string[] }).tabs, ['zakazy-nesi.json', 'poisk.json']);
    assert.deepEqual(canonical(await storage.getFlows()), canonical(renamed));
  });

  it('gives same-label tabs collision-safe names that stay stable across saves', async () => {
    const storage = make();
    const flows: FlowNode[] = [
      { id: 'aaaaaa0000000001', type: 'tab', label: 'Поиск' },
      { id: 'bbbbbb0000000002', type: 'tab', label: 'Поиск' },
    ];
    await storage.saveFlows(clone(flows));
    assert.deepEqual(((await readJson(path.join(flowsDir, 'manifest.json'))) as { tabs: string[] }).tabs, ['poisk.json', 'poisk-bbbbbb.json']);
    // Swap the order: each tab keeps its file because its label did not change.
    const summary = await storage.saveFlows([flows[1]!, flows[0]!]);
    assert.deepEqual(summary.written, []);
    assert.deepEqual(((await readJson(path.join(flowsDir, 'manifest.json'))) as { tabs: string[] }).tabs, ['poisk-bbbbbb.json', 'poisk.json']);
  });

  it('never writes credentials into flows/, they go to userDir', async () => {
    const storage = make();
    await storage.init();
    const flows = sampleFlows();
    const broker = flows.find((n) => n.id === 'cf90000000000001')!;
    broker.credentials = { user: 'courier', password: 's3cret-pass' };
    flows.find((n) => n.id === 'n000000000000003')!.credentials = { token: 's3cret-token' };
    await storage.saveCredentials({ $: 'encrypted-blob' });
    await storage.saveFlows(flows);

    for (const name of await listJson(flowsDir)) {
      const text = await fs.readFile(path.join(flowsDir, name), 'utf8');
      assert.ok(!text.includes('s3cret') && !text.includes('"credentials"'), `${name} leaks credentials`);
    }
    assert.equal(Object.hasOwn(broker, 'credentials'), true, 'the caller\'s objects are not mutated');
    assert.deepEqual(await storage.getCredentials(), { $: 'encrypted-blob' });
    assert.deepEqual(await readJson(path.join(userDir, 'flows_cred.json')), { $: 'encrypted-blob' });
  });

  it('refuses to save in read-only mode but still keeps credentials, settings and sessions', async () => {
    await make().saveFlows(sampleFlows());
    const before = await snapshot(flowsDir);
    const storage = make({ readOnly: true });
    await storage.init();
    await assert.rejects(storage.saveFlows([]), /read-only.*FLOWS_READONLY=1/);
    assert.deepEqual(await snapshot(flowsDir), before);

    await storage.saveCredentials({ a: { password: 'x' } });
    await storage.saveSettings({ _credentialSecret: 'k', users: { admin: { editor: {} } } });
    await storage.saveSessions({ tok: { user: 'admin', expires: 1 } });
    const again = make({ readOnly: true });
    assert.deepEqual(await again.getCredentials(), { a: { password: 'x' } });
    assert.deepEqual(await again.getSettings(), { _credentialSecret: 'k', users: { admin: { editor: {} } } });
    assert.deepEqual(await again.getSessions(), { tok: { user: 'admin', expires: 1 } });
    assert.equal((await again.getFlows()).length, sampleFlows().length);
  });

  it('fails init and getFlows with one clear line when the manifest needs a newer node package', async () => {
    await make({ nodePackageVersion: '2.1.0' }).saveFlows(sampleFlows());
    const old = make({ nodePackageVersion: '1.4.0' });
    const line = 'flows/manifest.json needs node package 2.1 but 1.4.0 is installed — upgrade the node package or check out matching flows';
    const expected = (err: Error): boolean => err.message === line;
    await assert.rejects(old.init(), expected);
    await assert.rejects(old.getFlows(), expected);
    await assert.rejects(old.saveFlows(sampleFlows()), expected);
  });

  it('fails on a manifest with another formatVersion', async () => {
    await make().saveFlows(sampleFlows());
    const file = path.join(flowsDir, 'manifest.json');
    const manifest = (await readJson(file)) as Record<string, unknown>;
    await fs.writeFile(file, JSON.stringify({ ...manifest, formatVersion: FORMAT_VERSION + 1 }));
    await assert.rejects(make().getFlows(), /formatVersion 2 but this build reads formatVersion 1/);
  });

  it('writes the installed node package version on save', async () => {
    await make({ nodePackageVersion: '0.1.0' }).saveFlows(sampleFlows());
    const summary = await make({ nodePackageVersion: '0.3.2' }).saveFlows(sampleFlows());
    assert.deepEqual(summary, { written: [], deleted: [], manifestWritten: true });
    const manifest = (await readJson(path.join(flowsDir, 'manifest.json'))) as { nodePackage: { version: string } };
    assert.equal(manifest.nodePackage.version, '0.3.2');
  });

  it('reports an unreadable flow file by name and refuses to overwrite it', async () => {
    await make().saveFlows(sampleFlows());
    await fs.writeFile(path.join(flowsDir, 'poisk.json'), '<<<<<<< HEAD\n[]\n=======\n[]\n>>>>>>> branch\n');
    await assert.rejects(make().getFlows(), /flows\/poisk\.json: not valid JSON \(unresolved git merge conflict\?\)/);
    await assert.rejects(make().saveFlows(sampleFlows()), /flows\/poisk\.json/);
  });

  it('survives an interrupted rename: the manifest decides which copy of a tab wins', async () => {
    const log = recordingLog();
    await make().saveFlows(sampleFlows());
    // A stale copy of the "Заказы" tab under another name, as a crash after writing the new
    // file but before the manifest would leave it.
    const stale = (await readJson(path.join(flowsDir, 'zakazy.json'))) as FlowNode[];
    stale[0]!.label = 'Старое имя';
    await fs.writeFile(path.join(flowsDir, 'staroe-imya.json'), JSON.stringify(stale));
    const loaded = await make({ log }).getFlows();
    assert.equal(loaded.find((n) => n.id === 'tab0000000000001')!.label, 'Заказы');
    assert.equal(loaded.length, sampleFlows().length);
    assert.ok(log.warnings.some((w) => w.includes('staroe-imya.json')));
  });

  it('keeps temp files out of the way and leaves none behind', async () => {
    await make().saveFlows(sampleFlows());
    await fs.writeFile(path.join(flowsDir, '.zakazy.json.1.abcd.tmp'), 'garbage');
    assert.equal((await make().getFlows()).length, sampleFlows().length);
    await fs.rm(path.join(flowsDir, '.zakazy.json.1.abcd.tmp'));
    const changed = sampleFlows();
    changed[0]!.label = 'Заказы 2';
    await make().saveFlows(changed);
    assert.deepEqual((await listJson(flowsDir)).filter((n) => n.startsWith('.')), []);
  });

  it('stores settings, sessions and library entries under userDir', async () => {
    const storage = make();
    await storage.init();
    assert.deepEqual(await storage.getSettings(), {});
    assert.deepEqual(await storage.getSessions(), {});
    await storage.saveSettings({ _credentialSecret: 'abc' });
    assert.deepEqual(await readJson(path.join(userDir, '.config.runtime.json')), { _credentialSecret: 'abc' });

    await storage.saveLibraryEntry('functions', 'mw/price.js', { name: 'price', outputs: 1 }, 'return msg;\n// tail');
    assert.equal(await storage.getLibraryEntry('functions', 'mw/price.js'), 'return msg;\n// tail');
    assert.deepEqual(await storage.getLibraryEntry('functions', ''), ['mw']);
    assert.deepEqual(await storage.getLibraryEntry('functions', 'mw'), [{ name: 'price', outputs: '1', fn: 'price.js' }]);
    await storage.saveLibraryEntry('flows', 'snippet', {}, '[]');
    assert.equal(await storage.getLibraryEntry('flows', 'snippet'), '[]');
    assert.deepEqual(await storage.getLibraryEntry('templates', ''), []);
    await assert.rejects(storage.getLibraryEntry('functions', 'missing.js'), /Library Entry not found/);
    await assert.rejects(storage.getLibraryEntry('functions', '../../escape'), /outside the library/);
    assert.equal((await fs.readdir(flowsDir).catch(() => [])).length, 0, 'nothing of this went to flows/');
  });

  it('refuses to start on a corrupt credentials file instead of losing the secrets', async () => {
    await fs.mkdir(userDir, { recursive: true });
    await fs.writeFile(path.join(userDir, 'flows_cred.json'), '{"$": "trunc');
    await assert.rejects(make().getCredentials(), /flows_cred\.json is not a valid JSON object/);
    await fs.writeFile(path.join(userDir, '.sessions.json'), 'nonsense');
    assert.deepEqual(await make().getSessions(), {});
  });

  it('is accepted by Node-RED as a storage module', async () => {
    const storage = make();
    // Node-RED probes these with hasOwnProperty to enable settings and sessions.
    for (const method of ['init', 'getFlows', 'saveFlows', 'getCredentials', 'saveCredentials', 'getSettings', 'saveSettings', 'getSessions', 'saveSessions', 'getLibraryEntry', 'saveLibraryEntry']) {
      assert.equal(Object.hasOwn(storage, method), true, method);
    }
  });
});

describe('credential template for a fresh install', () => {
  it('starts from ${ENV} references in flows/.credentials-env.json and ignores literal secrets', async () => {
    const root = await fsp.mkdtemp(p.join(tmpdir(), 'mw-cred-tpl-'));
    const flowsDir = p.join(root, 'flows');
    await fsp.mkdir(flowsDir);
    await fsp.writeFile(p.join(flowsDir, '.credentials-env.json'), JSON.stringify({ bot1: { token: '${TELEGRAM_BOT_TOKEN}', other: 'literal-secret', unset: '${MW_TEST_UNSET_VARIABLE}' } }));
    process.env.TELEGRAM_BOT_TOKEN ??= '1:test';
    const warnings: string[] = [];
    const storage = createFlowStorage({ flowsDir, userDir: p.join(root, 'user'), readOnly: false, nodePackageVersion: '0.1.0', log: { info: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined } });
    await storage.init();
    assert.deepEqual(await storage.getCredentials(), { bot1: { token: '${TELEGRAM_BOT_TOKEN}' } });
    assert.equal(warnings.length, 1);
    await storage.saveCredentials({ $: 'encrypted-by-node-red' });
    assert.deepEqual(await storage.getCredentials(), { $: 'encrypted-by-node-red' }, 'once saved, the stored credentials win');
    await fsp.rm(root, { recursive: true, force: true });
  });
});
