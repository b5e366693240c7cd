// Bundles each node's TypeScript entry (nodes/<name>/<name>.ts) into <name>.js beside it, where
// Node-RED expects the runtime file next to its editor HTML and locales/. npm packages stay
// external; our src/ modules are bundled in, so shared state must come through settings.mw.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await readFile(path.join(root, 'nodes', 'package.json'), 'utf8'));
const entries = Object.values(pkg['node-red'].nodes).map((js) => path.join(root, 'nodes', js.replace(/\.js$/, '.ts')));

const started = Date.now();
await build({
  entryPoints: entries,
  outdir: path.join(root, 'nodes'),
  outbase: path.join(root, 'nodes'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
console.log(`built ${entries.length} node(s) in ${Date.now() - started} ms`);
