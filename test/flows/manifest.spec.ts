import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../../src/errors';
import { checkManifest, FORMAT_VERSION, readAndCheckManifest, serializeManifest, type FlowsManifest } from '../../src/flows/manifest';
import { tempDir } from './fixtures';

const NAME = '@spareparts/node-red-mw';
const manifest = (version: string, extra: Partial<FlowsManifest> = {}): FlowsManifest => ({
  formatVersion: FORMAT_VERSION,
  nodePackage: { name: NAME, version },
  tabs: ['zakazy.json'],
  ...extra,
});
const installed = (version: string) => ({ formatVersion: FORMAT_VERSION, nodePackage: { name: NAME, version } });

/** assert.throws matcher on the exact single-line message. */
const line = (text: string | RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof StartupError);
  assert.ok(!err.message.includes('\n'), 'one line');
  if (typeof text === 'string') assert.equal(err.message, text);
  else assert.match(err.message, text);
  return true;
};

describe('flows manifest check', () => {
  it('accepts the same version, an older minor and any patch', () => {
    assert.deepEqual(checkManifest(manifest('2.1.0'), installed('2.1.0')), manifest('2.1.0'));
    checkManifest(manifest('2.1.7'), installed('2.1.0'));
    checkManifest(manifest('2.0.0'), installed('2.4.1'));
    checkManifest(manifest('2.1'), installed('2.1.0-rc.1'));
  });

  it('rejects a newer minor or major with the operator line', () => {
    assert.throws(
      () => checkManifest(manifest('2.1.0'), installed('1.4.0')),
      line('flows/manifest.json needs node package 2.1 but 1.4.0 is installed — upgrade the node package or check out matching flows'),
    );
    assert.throws(() => checkManifest(manifest('1.5.0'), installed('1.4.9')), line(/needs node package 1\.5 but 1\.4\.9 is installed/));
  });

  it('rejects flows saved with an older major', () => {
    assert.throws(() => checkManifest(manifest('1.4.0'), installed('2.0.0')), line(/saved with node package 1\.4 but 2\.0\.0 is installed \(major versions differ\)/));
  });

  it('rejects another format version and another package', () => {
    assert.throws(
      () => checkManifest(manifest('0.1.0', { formatVersion: FORMAT_VERSION + 1 }), installed('0.1.0')),
      line(`flows/manifest.json has formatVersion ${FORMAT_VERSION + 1} but this build reads formatVersion ${FORMAT_VERSION} — check out flows that match this build or update the middleware`),
    );
    assert.throws(() => checkManifest({ ...manifest('0.1.0'), nodePackage: { name: 'other', version: '0.1.0' } }, installed('0.1.0')), line(/is for node package "other"/));
  });

  it('rejects malformed manifests with what is wrong', () => {
    assert.throws(() => checkManifest([], installed('0.1.0')), line(/malformed: expected a JSON object/));
    assert.throws(() => checkManifest({ formatVersion: 1, tabs: [] }, installed('0.1.0')), line(/"nodePackage" must be/));
    assert.throws(() => checkManifest({ ...manifest('0.1.0'), tabs: [1] }, installed('0.1.0')), line(/"tabs" must be/));
    assert.throws(() => checkManifest(manifest('latest'), installed('0.1.0')), line(/"latest" is not a version/));
  });

  it('checks only shape and format when no package is expected', () => {
    checkManifest(manifest('9.9.9'), { formatVersion: FORMAT_VERSION });
  });

  it('the committed flows/manifest.json is valid and in canonical form', async () => {
    const file = path.join(__dirname, '..', '..', 'flows', 'manifest.json');
    const text = await fs.readFile(file, 'utf8');
    const m = checkManifest(JSON.parse(text), { formatVersion: FORMAT_VERSION });
    assert.equal(m.nodePackage.name, NAME);
    assert.equal(serializeManifest(m), text);
  });

  describe('readAndCheckManifest (start-up)', () => {
    it('returns undefined on a first start and the manifest otherwise', async () => {
      const { dir, cleanup } = await tempDir();
      try {
        assert.equal(readAndCheckManifest(dir, { name: NAME, version: '0.1.0' }), undefined);
        await fs.writeFile(path.join(dir, 'manifest.json'), `\uFEFF${serializeManifest(manifest('0.2.0'))}`);
        assert.equal(readAndCheckManifest(dir, { name: NAME, version: '0.2.5' })?.nodePackage.version, '0.2.0');
        assert.throws(() => readAndCheckManifest(dir, { name: NAME, version: '0.1.0' }), line(/needs node package 0\.2 but 0\.1\.0/));
        await fs.writeFile(path.join(dir, 'manifest.json'), '{"formatVersion": 1,');
        assert.throws(() => readAndCheckManifest(dir, { name: NAME, version: '0.1.0' }), line(/malformed: not valid JSON/));
      } finally {
        await cleanup();
      }
    });
  });
});
