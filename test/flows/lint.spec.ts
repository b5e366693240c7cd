import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { discoverKnownTypes, registeredTypesIn } from '../../src/flows/known-types';
import { lintFlows, type LintRule } from '../../src/flows/lint';
import { formatProblem, lintFlowsDir } from '../../src/flows/lint-dir';
import { createFlowStorage } from '../../src/flows/storage';
import type { FlowNode } from '../../src/flows/types';
import { quietLog, sampleFlows, tempDir } from './fixtures';

const ROOT = path.join(__dirname, '..', '..');
const KNOWN = new Set(['function', 'debug', 'change', 'mqtt in', 'mqtt-broker', 'link in', 'link out', 'inject', 'tls-config']);
const rules = (nodes: FlowNode[]): LintRule[] => lintFlows(nodes, KNOWN).map((p) => p.rule);
const mutate = (edit: (nodes: FlowNode[], byId: (id: string) => FlowNode) => void): FlowNode[] => {
  const nodes = sampleFlows();
  edit(nodes, (id) => nodes.find((n) => n.id === id)!);
  return nodes;
};

describe('flows lint', () => {
  it('passes a clean flow', () => {
    assert.deepEqual(lintFlows(sampleFlows(), KNOWN), []);
  });

  it('fails an unknown node type and a subflow instance without its subflow', () => {
    const problems = lintFlows(
      mutate((nodes, byId) => {
        byId('n000000000000012').type = 'telegram sender';
        nodes.push({ id: 'n000000000000099', type: 'subflow:gone', z: 'tab0000000000000', x: 1, y: 1, wires: [] });
      }),
      KNOWN,
    );
    assert.deepEqual(problems.map((p) => [p.nodeId, p.rule]), [['n000000000000012', 'unknown-type'], ['n000000000000099', 'unknown-type']]);
    assert.match(problems[0]!.message, /unknown node type "telegram sender"/);
  });

  it('fails a dangling wire, a wire to another tab and a dangling subflow port', () => {
    const problems = lintFlows(
      mutate((_, byId) => {
        byId('n000000000000001').wires = [['n000000000000002', 'deleted000000001']];
        byId('n000000000000003').wires = [['n000000000000012']];
        (byId('sub0000000000001').in as { wires: { id: string }[] }[])[0]!.wires = [{ id: 'deleted000000002' }];
      }),
      KNOWN,
    );
    assert.deepEqual(problems.map((p) => p.rule), ['dangling-wire', 'dangling-wire', 'dangling-wire']);
    assert.ok(problems.some((p) => p.message.includes('on another tab')));
  });

  it('fails dangling links, groups and config references', () => {
    assert.deepEqual(rules(mutate((_, byId) => void (byId('n000000000000002').links = ['gone000000000001']))), ['dangling-link']);
    assert.deepEqual(rules(mutate((_, byId) => void (byId('n000000000000002').links = ['n000000000000012']))), ['dangling-link']);
    assert.deepEqual(rules(mutate((_, byId) => void (byId('n000000000000001').g = 'gone000000000001'))), ['dangling-ref']);
    // The broker the mqtt-in node used was deleted: the reference dangles and nothing else breaks.
    const problems = lintFlows(mutate((nodes) => void nodes.splice(nodes.findIndex((n) => n.id === 'cf90000000000001'), 1)), KNOWN);
    assert.deepEqual(problems.map((p) => [p.nodeId, p.rule]), [['n000000000000003', 'dangling-ref']]);
    assert.match(problems[0]!.message, /property "broker" points at missing node cf90000000000001/);
  });

  it('fails an orphan config node, but not one used only by another config node', () => {
    const problems = lintFlows(mutate((nodes) => void nodes.push({ id: 'cf90000000000002', type: 'mqtt-broker', name: 'old broker' })), KNOWN);
    assert.deepEqual(problems.map((p) => [p.nodeId, p.rule]), [['cf90000000000002', 'orphan-config']]);
    const tls = mutate((nodes, byId) => {
      nodes.push({ id: 'cf90000000000003', type: 'tls-config', name: 'tls' });
      byId('cf90000000000001').tls = 'cf90000000000003';
    });
    assert.deepEqual(lintFlows(tls, KNOWN), []);
  });

  it('fails a function node over 15 lines and accepts exactly 15', () => {
    const body = (lines: number): string => Array.from({ length: lines }, (_, i) => `const v${i} = ${i};`).join('\n');
    assert.deepEqual(rules(mutate((_, byId) => void (byId('n000000000000001').func = `${body(15)}\n`))), []);
    const problems = lintFlows(mutate((_, byId) => void (byId('n000000000000001').func = body(16))), KNOWN);
    assert.deepEqual(problems.map((p) => p.rule), ['long-function']);
    assert.match(problems[0]!.message, /function "calc" has 16 lines \(max 15\)/);
  });

  it('fails duplicate ids, unknown tabs and credentials in flows', () => {
    assert.deepEqual(
      rules(mutate((nodes) => void nodes.push({ id: 'n000000000000012', type: 'debug', z: 'tab0000000000000', x: 1, y: 1, wires: [] }))),
      ['duplicate-id'],
    );
    // The debug node now sits on a missing tab, so the wire to it also crosses tabs.
    assert.deepEqual(rules(mutate((_, byId) => void (byId('n000000000000012').z = 'gone000000000001'))), ['dangling-wire', 'unknown-container']);
    assert.deepEqual(rules(mutate((_, byId) => void (byId('cf90000000000001').credentials = { password: 'x' }))), ['credentials-in-flows']);
  });

  describe('on a flows folder', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ dir, cleanup } = await tempDir());
      await createFlowStorage({ flowsDir: dir, userDir: path.join(dir, '..', `${path.basename(dir)}-user`), readOnly: false, nodePackageVersion: '0.1.0', log: quietLog }).saveFlows(sampleFlows());
    });
    afterEach(async () => {
      await cleanup();
      await fs.rm(`${dir}-user`, { recursive: true, force: true });
    });

    it('passes a folder written by the storage', async () => {
      const result = await lintFlowsDir(dir, KNOWN, { nodePackage: { name: '@spareparts/node-red-mw', version: '0.1.0' } });
      assert.deepEqual(result, { files: 4, nodes: sampleFlows().length, problems: [] });
    });

    it('attributes problems to files and reports unreadable files and manifest drift', async () => {
      const file = path.join(dir, 'poisk.json');
      const nodes = JSON.parse(await fs.readFile(file, 'utf8')) as FlowNode[];
      nodes.find((n) => n.type === 'debug')!.type = 'telegram sender';
      await fs.writeFile(file, JSON.stringify(nodes));
      await fs.writeFile(path.join(dir, 'broken.json'), '{"id": ');
      await fs.writeFile(path.join(dir, 'extra.json'), JSON.stringify([{ id: 'tab00000000000ff', type: 'tab', label: 'Extra' }]));

      const result = await lintFlowsDir(dir, KNOWN, { nodePackage: { name: '@spareparts/node-red-mw', version: '0.0.9' } });
      const lines = result.problems.map(formatProblem);
      assert.deepEqual(lines.map((l) => l.replace(/\] .*/, ']')).sort(), [
        'flows/broken.json: [invalid-file]',
        'flows/extra.json: [manifest]',
        'flows/manifest.json: [manifest]',
        'flows/poisk.json: node n000000000000012 [unknown-type]',
      ]);
      assert.ok(lines.some((l) => /manifest\.json: \[manifest\] flows\/manifest\.json needs node package 0\.1 but 0\.0\.9/.test(l)));
    });
  });

  describe('known types', () => {
    it('finds literal registerType calls in html and js', () => {
      const src = `RED.nodes.registerType('mw-order',{}); RED.nodes.registerType( "mw search" , X); RED.nodes.registerType(name, Y); RED.nodes.registerType(\`tg-\${x}\`)`;
      assert.deepEqual(registeredTypesIn(src), ['mw-order', 'mw search']);
    });

    it('discovers core, our package and contrib types from the project and a fake contrib package', async () => {
      const { dir, cleanup } = await tempDir('known-types-');
      try {
        await fs.symlink(path.join(ROOT, 'node_modules', '@node-red'), path.join(await mkdirp(dir, 'node_modules'), '@node-red'));
        const contrib = await mkdirp(dir, 'node_modules', 'node-red-contrib-telegrambot', 'nodes');
        await fs.writeFile(path.join(contrib, '..', 'package.json'), JSON.stringify({ name: 'node-red-contrib-telegrambot', 'node-red': { nodes: { sender: 'nodes/sender.js' } } }));
        await fs.writeFile(path.join(contrib, 'sender.js'), 'module.exports = (RED) => { RED.nodes.registerType("telegram sender", S); };');
        await fs.writeFile(path.join(contrib, 'sender.html'), '<script>RED.nodes.registerType("telegram bot", {category: "config"});</script>');
        const ours = await mkdirp(dir, 'nodes', 'mw-order');
        await fs.writeFile(path.join(ours, '..', 'package.json'), JSON.stringify({ name: '@spareparts/node-red-mw', 'node-red': { nodes: { 'mw-order': 'mw-order/mw-order.js' } } }));
        await fs.writeFile(path.join(ours, 'mw-order.html'), '<script>RED.nodes.registerType("mw-order-config", {})</script>');

        const types = await discoverKnownTypes({ projectRoot: dir });
        for (const t of ['inject', 'function', 'mqtt in', 'link call', 'junction', 'telegram sender', 'telegram bot', 'mw-order', 'mw-order-config']) {
          assert.ok(types.has(t), t);
        }
      } finally {
        await cleanup();
      }
    });
  });

  describe('CLI', () => {
    const run = (dir: string) => spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'lint-flows.ts'), dir], { cwd: ROOT, encoding: 'utf8' });

    it('exits 0 with a summary on clean flows', async () => {
      const { dir, cleanup } = await tempDir();
      try {
        await createFlowStorage({ flowsDir: dir, userDir: path.join(dir, '.user'), readOnly: false, nodePackageVersion: '0.1.0', log: quietLog }).saveFlows(sampleFlows());
        const res = run(dir);
        assert.equal(res.status, 0, res.stdout + res.stderr);
        assert.equal(res.stdout.trim(), `flows lint: 4 files, ${sampleFlows().length} nodes, 0 problems`);
      } finally {
        await cleanup();
      }
    });

    it('passes the project\'s own flows/ (the same gate CI runs)', () => {
      const own = run(path.join(ROOT, 'flows'));
      assert.equal(own.status, 0, own.stdout + own.stderr);
    });

    it('exits 1 with one line per problem', async () => {
      const { dir, cleanup } = await tempDir();
      try {
        const flows = sampleFlows();
        flows.find((n) => n.id === 'n000000000000001')!.wires = [['nowhere000000001']];
        flows.push({ id: 'n0000000000000aa', type: 'no-such-node', z: 'tab0000000000000', x: 1, y: 1, wires: [] });
        await createFlowStorage({ flowsDir: dir, userDir: path.join(dir, '.user'), readOnly: false, nodePackageVersion: '0.1.0', log: quietLog }).saveFlows(flows);
        const res = run(dir);
        assert.equal(res.status, 1);
        assert.deepEqual(res.stdout.trim().split('\n').map((l) => l.replace(/\] .*/, ']')).sort(), [
          'flows/poisk.json: node n0000000000000aa [unknown-type]',
          'flows/zakazy.json: node n000000000000001 [dangling-wire]',
        ]);
        assert.match(res.stderr, /flows lint: 4 files, 13 nodes, 2 problems/);
      } finally {
        await cleanup();
      }
    });
  });
});

async function mkdirp(...parts: string[]): Promise<string> {
  const dir = path.join(...parts);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}
