import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

/** Every node of the package follows the same layout, so analysts always find help and labels. */
const nodesDir = path.join(PROJECT_ROOT, 'nodes');
const pkg = JSON.parse(readFileSync(path.join(nodesDir, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };

describe('node package conventions', () => {
  for (const [type, js] of Object.entries(pkg['node-red'].nodes)) {
    it(`${type}: editor HTML, help and labels in en-US and ru, config version`, () => {
      const dir = path.join(nodesDir, path.dirname(js));
      const base = path.basename(js, '.js');
      assert.ok(existsSync(path.join(dir, `${base}.ts`)), 'typed runtime source');
      const html = readFileSync(path.join(dir, `${base}.html`), 'utf8');
      assert.match(html, new RegExp(`registerType\\(\\s*'${type}'`));
      assert.match(html, type === 'mw-config' ? /category: 'config'/ : /category: 'Запчасти MW'/);
      assert.match(html, /version: \{ value: \d+ \}/, 'config version in defaults');
      for (const lang of ['en-US', 'ru']) {
        const help = readFileSync(path.join(dir, 'locales', lang, `${base}.html`), 'utf8');
        assert.match(help, new RegExp(`data-help-name="${type}"`));
        const labels = JSON.parse(readFileSync(path.join(dir, 'locales', lang, `${base}.json`), 'utf8')) as Record<string, unknown>;
        assert.ok(labels[type], `${lang} labels under "${type}"`);
      }
    });
  }
});
