import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FlowNode } from '../../src/flows/types';
import { adminToken, bootRuntime, type TestRuntime } from '../support/runtime';

/** The storage under the real embedded Node-RED: what an editor deploy leaves on disk. */
describe('flows storage under the real Node-RED', () => {
  let rt: TestRuntime;
  let token: string;
  const api = async (method: string, body?: unknown): Promise<Response> =>
    fetch(`${rt.baseUrl}/flows`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  before(async () => {
    rt = await bootRuntime();
    token = await adminToken(rt.baseUrl);
  });

  it('keeps deployed credentials out of flows/ and encrypted in userDir', async () => {
    const current = (await (await api('GET')).json()) as { flows: FlowNode[]; rev: string };
    const added: FlowNode[] = [
      { id: 'f1a9000000000001', type: 'tab', label: 'Проверка секретов', disabled: false, info: '' },
      { id: 'f1a9000000000002', type: 'mqtt-broker', name: 'secret broker', broker: '127.0.0.1', port: '1', autoConnect: false, credentials: { user: 'courier-7', password: 'plain-secret-42' } },
      { id: 'f1a9000000000003', type: 'comment', z: 'f1a9000000000001', name: 'uses the broker', info: 'f1a9000000000002', x: 100, y: 40, wires: [] },
    ];
    const res = await api('POST', { flows: [...current.flows, ...added], rev: current.rev });
    assert.equal(res.status, 200, await res.clone().text());

    try {
      const files = await fs.readdir(rt.flowsDir);
      assert.ok(files.includes('proverka-sekretov.json'), files.join(', '));
      for (const name of files) {
        const text = await fs.readFile(path.join(rt.flowsDir, name), 'utf8');
        assert.ok(!text.includes('plain-secret-42') && !text.includes('courier-7'), `${name} leaks credentials`);
      }
      const config = JSON.parse(await fs.readFile(path.join(rt.flowsDir, 'config-nodes.json'), 'utf8')) as FlowNode[];
      assert.ok(config.some((n) => n.id === 'f1a9000000000002'));
      const creds = await fs.readFile(path.join(rt.dataDir, 'node-red', 'flows_cred.json'), 'utf8');
      assert.ok(!creds.includes('plain-secret-42'), 'credentials file is encrypted');
      assert.ok(typeof (JSON.parse(creds) as { $?: unknown }).$ === 'string');
    } finally {
      const now = (await (await api('GET')).json()) as { rev: string };
      const restored = await api('POST', { flows: current.flows, rev: now.rev });
      assert.equal(restored.status, 200);
    }
    assert.ok(!(await fs.readdir(rt.flowsDir)).includes('proverka-sekretov.json'));
  });
});
