import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { adminToken, bootRuntime, type TestRuntime } from '../support/runtime';

type FlowNode = Record<string, unknown> & { id: string; type: string };

async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(path.join(dir, f), 'utf8')] as const)));
}

async function deploy(rt: TestRuntime, token: string, flows: FlowNode[], rev?: string): Promise<string> {
  const res = await fetch(`${rt.baseUrl}/flows`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'Node-RED-API-Version': 'v2',
      'Node-RED-Deployment-Type': 'full',
    },
    body: JSON.stringify(rev ? { flows, rev } : { flows }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { rev: string }).rev;
}

async function currentFlows(rt: TestRuntime, token: string): Promise<{ flows: FlowNode[]; rev: string }> {
  const res = await fetch(`${rt.baseUrl}/flows`, { headers: { authorization: `Bearer ${token}`, 'Node-RED-API-Version': 'v2' } });
  return (await res.json()) as { flows: FlowNode[]; rev: string };
}

describe('deploying from the editor (versioned flows in git)', () => {
  let rt: TestRuntime;
  let token: string;
  before(async () => {
    rt = await bootRuntime();
    token = await adminToken(rt.baseUrl);
  });

  it('writes one file per tab and rewrites only the changed tab on the next deploy', async () => {
    const { flows: existing } = await currentFlows(rt, token);
    const flows: FlowNode[] = [
      ...existing,
      { id: 'tab.alpha', type: 'tab', label: 'Альфа тест', disabled: false, info: '' },
      { id: 'tab.beta', type: 'tab', label: 'Beta test', disabled: false, info: '' },
      { id: 'a.inject', type: 'inject', z: 'tab.alpha', name: 'tick', props: [], repeat: '', once: false, topic: '', x: 100, y: 80, wires: [['a.debug']] },
      { id: 'a.debug', type: 'debug', z: 'tab.alpha', name: 'out', active: false, tosidebar: true, complete: 'false', x: 300, y: 80, wires: [] },
      { id: 'b.inject', type: 'inject', z: 'tab.beta', name: 'beta tick', props: [], repeat: '', once: false, topic: '', x: 100, y: 80, wires: [[]] },
    ];
    const rev = await deploy(rt, token, flows);
    const before = await snapshot(rt.flowsDir);
    const tabFiles = [...before.keys()].filter((f) => before.get(f)!.includes('tab.alpha') || before.get(f)!.includes('tab.beta'));
    assert.equal(tabFiles.length, 2, `one file per tab: ${[...before.keys()].join(', ')}`);

    const changed = flows.map((n) => (n.id === 'a.debug' ? { ...n, name: 'renamed output' } : n));
    await deploy(rt, token, changed, rev);
    const after = await snapshot(rt.flowsDir);
    const differing = [...after.keys()].filter((f) => after.get(f) !== before.get(f));
    assert.equal(differing.length, 1, `changed files: ${differing.join(', ')}`);
    assert.ok(after.get(differing[0])!.includes('renamed output'));
    assert.ok(!after.get(differing[0])!.includes('tab.beta'), 'the beta tab file is untouched');
  });

  it('removes the file of a deleted tab', async () => {
    const { flows, rev } = await currentFlows(rt, token);
    const before = await snapshot(rt.flowsDir);
    const withoutBeta = flows.filter((n) => n.id !== 'tab.beta' && n.z !== 'tab.beta');
    await deploy(rt, token, withoutBeta, rev);
    const after = await snapshot(rt.flowsDir);
    const gone = [...before.keys()].filter((f) => !after.has(f));
    assert.equal(gone.length, 1);
    assert.ok(before.get(gone[0])!.includes('tab.beta'));
  });
});
