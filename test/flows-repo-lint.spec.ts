import assert from 'node:assert/strict';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { discoverKnownTypes } from '../src/flows/known-types';
import { formatProblem, lintFlowsDir } from '../src/flows/lint-dir';

/** The flows in git (and the benchmark's) pass the same lint analysts run with npm run lint:flows. */
describe('flows in the repository', () => {
  for (const dir of ['flows', path.join('bench', 'flows')]) {
    it(`${dir}/ lints clean`, async () => {
      const known = await discoverKnownTypes({ projectRoot: PROJECT_ROOT });
      const result = await lintFlowsDir(path.join(PROJECT_ROOT, dir), known);
      assert.deepEqual(result.problems.map(formatProblem), []);
    });
  }
});
