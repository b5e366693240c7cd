import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FlowNode } from '../../src/flows/types';

/** A fresh temp directory per test; removed by the returned cleanup. */
export async function tempDir(prefix = 'flows-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/**
 * A small but complete flow set: two tabs with Russian labels (tab order: orders, then
 * search), a subflow used on a tab, a global config node used by an mqtt-in node, a group,
 * a pair of link nodes across tabs.
 */
export function sampleFlows(): FlowNode[] {
  return [
    { id: 'tab0000000000001', type: 'tab', label: 'Заказы', disabled: false, info: '' },
    { id: 'tab0000000000000', type: 'tab', label: 'Поиск', disabled: false, info: '' },
    { id: 'sub0000000000001', type: 'subflow', name: 'Нормализация', info: '', in: [{ x: 40, y: 40, wires: [{ id: 'sfn0000000000001' }] }], out: [{ x: 300, y: 40, wires: [{ id: 'sfn0000000000001', port: 0 }] }] },
    { id: 'sfn0000000000001', type: 'change', z: 'sub0000000000001', name: 'trim', rules: [], x: 160, y: 40, wires: [[]] },
    { id: 'cf90000000000001', type: 'mqtt-broker', name: 'broker', broker: 'localhost', port: '1883' },
    { id: 'n000000000000003', type: 'mqtt in', z: 'tab0000000000001', name: 'scans', topic: 'scanner/+', broker: 'cf90000000000001', x: 100, y: 100, wires: [['n000000000000001']] },
    { id: 'n000000000000001', type: 'function', z: 'tab0000000000001', g: 'grp0000000000001', name: 'calc', func: 'return msg;', outputs: 1, x: 300, y: 100, wires: [['n000000000000002']] },
    { id: 'n000000000000002', type: 'link out', z: 'tab0000000000001', g: 'grp0000000000001', mode: 'link', links: ['n000000000000010'], x: 500, y: 100 },
    { id: 'grp0000000000001', type: 'group', z: 'tab0000000000001', name: 'расчёт', nodes: ['n000000000000001', 'n000000000000002'], x: 200, y: 60, w: 400, h: 100 },
    { id: 'n000000000000010', type: 'link in', z: 'tab0000000000000', links: ['n000000000000002'], x: 100, y: 100, wires: [['n000000000000011']] },
    { id: 'n000000000000011', type: 'subflow:sub0000000000001', z: 'tab0000000000000', x: 300, y: 100, wires: [['n000000000000012']] },
    { id: 'n000000000000012', type: 'debug', z: 'tab0000000000000', active: true, x: 500, y: 100, wires: [] },
  ];
}

/** Sorts a flat flows array into a canonical order so two arrays can be compared as sets. */
export function canonical(nodes: readonly FlowNode[]): FlowNode[] {
  return [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export const clone = <T>(value: T): T => structuredClone(value);

export const quietLog = { info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };

/** A logger that keeps warnings, for asserting on them. */
export function recordingLog(): { warnings: string[]; info: () => void; warn: (m: string) => void; error: (m: string) => void } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}
