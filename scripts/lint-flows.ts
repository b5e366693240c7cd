/**
 * Flows lint for CI and pre-commit: `node --import tsx scripts/lint-flows.ts [flows-dir]`.
 * Exit 0 with a one-line summary when clean; exit 1 with one line per problem otherwise.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { discoverKnownTypes } from '../src/flows/known-types';
import { formatProblem, lintFlowsDir } from '../src/flows/lint-dir';
import { readNodePackage } from '../src/flows/node-package';

async function main(): Promise<number> {
  const dir = path.resolve(process.argv[2] ?? path.join(PROJECT_ROOT, 'flows'));
  const nodePackageDir = path.join(PROJECT_ROOT, 'nodes');
  const knownTypes = await discoverKnownTypes({ projectRoot: PROJECT_ROOT, nodePackageDir });
  const nodePackage = await readNodePackage(nodePackageDir);
  const result = await lintFlowsDir(dir, knownTypes, { nodePackage });
  for (const problem of result.problems) console.log(formatProblem(problem));
  const summary = `flows lint: ${result.files} files, ${result.nodes} nodes, ${result.problems.length} problems`;
  if (result.problems.length > 0) {
    console.error(summary);
    return 1;
  }
  console.log(summary);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`flows lint failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
