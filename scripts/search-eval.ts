// Golden-set evaluation of the catalog search (SPEC §5).
//   node --import tsx scripts/search-eval.ts --golden FILE [--catalog FILE] [--devices FILE] [--out RESULTS.jsonl]
// Prints exactly one line: queries=N meanF1=X no_result_on_answerable=Y
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SearchEngine } from '../src/search/engine';
import { evaluate, formatSummary, type GoldenQuery } from '../src/search/eval';
import { loadCatalog, loadDevices, readJsonl } from '../src/search/io';

const ROOT = path.resolve(__dirname, '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const golden = arg('golden');
  if (!golden) {
    process.stderr.write('usage: search-eval.ts --golden FILE [--catalog FILE] [--devices FILE] [--out RESULTS.jsonl]\n');
    process.exit(2);
  }
  const catalogFile = arg('catalog') ?? path.join(ROOT, 'test/fixtures/catalog.jsonl');
  // Device dictionary defaults to the one next to the catalog, then to the fixture.
  const devicesFile = arg('devices') ?? [path.join(path.dirname(catalogFile), 'devices.json'), path.join(ROOT, 'test/fixtures/devices.json')].find((f) => fs.existsSync(f));
  const engine = SearchEngine.fromCatalog(loadCatalog(catalogFile), devicesFile ? loadDevices(devicesFile) : []);
  const queries = readJsonl<GoldenQuery>(golden);
  const results = new Map<string, ReturnType<SearchEngine['search']>>();
  const { rows, summary } = evaluate(queries, (q) => {
    const r = engine.search(q);
    results.set(q, r);
    return r.items.map((i) => i.id);
  });
  const out = arg('out');
  if (out) {
    const lines = rows.map((row) => {
      const r = results.get(row.q)!;
      return JSON.stringify({ ...row, suggestions: r.suggestions.map((s) => s.id), explanation: r.explanation, interpretation: r.interpretation, tookMs: r.tookMs });
    });
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, lines.join('\n') + '\n');
  }
  process.stdout.write(formatSummary(summary) + '\n');
}

main();
