import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { problemFromCode } from '../../src/http/problem';
import { contractRegistry, findContractsDir, MAX_FIELD_ERRORS, SchemaRegistry, UnknownSchemaError, validate } from '../../src/validation';
import { resolvePointer } from '../../src/validation/json-pointer';

function tempContracts(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'contracts-'));
  for (const [name, schema] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), JSON.stringify(schema));
  }
  return dir;
}

describe('contract validation', () => {
  it('loads every schema under contracts/schemas once, by short name and by $id', () => {
    const registry = contractRegistry();
    assert.equal(contractRegistry(), registry, 'cached');
    for (const name of ['common', 'problem', 'queue-replay']) assert.ok(registry.names().includes(name), name);
    assert.ok(registry.has('queue-replay.json'));
    assert.ok(registry.has('https://spareparts-mw.example/schemas/queue-replay.json'));
  });

  it('accepts a valid payload, and the examples every contract publishes', () => {
    assert.deepEqual(validate('queue-replay', { ids: [101, 102], reason: 'B24 was down' }), { ok: true });
    for (const contract of contractRegistry().schemas()) {
      for (const example of (contract.schema.examples as unknown[] | undefined) ?? []) {
        assert.deepEqual(validate(contract.name, example), { ok: true }, `${contract.name} example ${JSON.stringify(example)}`);
      }
    }
  });

  it('reports each wrong field as a JSON pointer with a message', () => {
    const result = validate('queue-replay', { ids: [0, 'x', 3], reason: 'ok!', since: 'yesterday', limit: 5000, colour: 'red' });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.errors, [
      { pointer: '/colour', message: 'is not allowed' },
      { pointer: '/ids/0', message: 'must be >= 1' },
      { pointer: '/ids/1', message: 'must be integer' },
      { pointer: '/since', message: 'must match format "date-time"' },
      { pointer: '/limit', message: 'must be <= 1000' },
    ]);
  });

  it('points at the missing property itself for `required`, and explains "one of"', () => {
    const result = validate('queue-replay', {});
    assert.deepEqual(!result.ok && result.errors, [
      { pointer: '', message: 'must have at least one of the properties: ids, destination, states' },
      { pointer: '/reason', message: 'is required' },
    ]);
  });

  it('lists the allowed values of an enum and resolves $refs into common.json', () => {
    const result = validate('queue-replay', { states: ['lost'], destination: 'B 24', reason: 'x\u0001yz' });
    assert.deepEqual(!result.ok && result.errors, [
      { pointer: '/destination', message: 'must match pattern "^[a-z][a-z0-9_.-]{0,63}$"' },
      { pointer: '/states/0', message: 'must be one of: "dead", "needs_human"' },
      { pointer: '/reason', message: 'must match pattern "^[^\\u0000-\\u001F\\u007F]*$"' },
    ]);
  });

  it('escapes "/" and "~" in pointers (RFC 6901), so pointers resolve in the payload', () => {
    const payload = { ids: [1], reason: 'fine', 'a/b~c': { x: 1 } };
    const result = validate('queue-replay', payload);
    assert.deepEqual(!result.ok && result.errors, [{ pointer: '/a~1b~0c', message: 'is not allowed' }]);
    assert.deepEqual(resolvePointer(payload, '/a~1b~0c'), { x: 1 });
  });

  it('caps the number of errors a hostile payload can produce', () => {
    const result = validate('queue-replay', { ids: Array.from({ length: 1000 }, () => 'x'), reason: 'many' });
    assert.equal(!result.ok && result.errors.length, MAX_FIELD_ERRORS);
  });

  it('validates the problems the middleware itself produces against problem.json', () => {
    const p = problemFromCode('VALIDATION_FAILED', { instance: '/api/v1/x', correlationId: 'c-1', errors: [{ pointer: '/a/0', message: 'm' }] });
    assert.deepEqual(validate('problem', p), { ok: true });
  });

  it('throws for an unknown schema id (a flow configuration error, not a client error)', () => {
    assert.throws(() => validate('no-such-contract', {}), UnknownSchemaError);
  });

  it('finds contracts/ from a bundled node folder too', () => {
    const root = path.resolve(__dirname, '../..');
    assert.equal(findContractsDir(path.join(root, 'nodes', 'mw-validate')), path.join(root, 'contracts'));
  });

  it('refuses a contract whose $id does not match its path, or with unknown keywords', () => {
    const wrongId = tempContracts({ 'a.json': { $id: 'https://spareparts-mw.example/schemas/b.json', type: 'object' } });
    assert.throws(() => SchemaRegistry.fromDirectory(wrongId), /expected https:\/\/spareparts-mw\.example\/schemas\/a\.json/);
    const typo = tempContracts({ 'a.json': { type: 'object', propertees: {} } });
    assert.throws(() => SchemaRegistry.fromDirectory(typo), /contract a: strict mode: unknown keyword: "propertees"/);
    const broken = tempContracts({ 'a.json': { $ref: 'missing.json' } });
    assert.throws(() => SchemaRegistry.fromDirectory(broken), /contract a: .*missing\.json/);
  });

  it('reads nested folders as names with slashes and resolves relative refs between them', () => {
    const dir = tempContracts({
      'common.json': { $defs: { id: { type: 'integer', minimum: 1 } } },
      'returns/reject.json': { type: 'object', properties: { return_id: { $ref: '../common.json#/$defs/id' } }, required: ['return_id'] },
    });
    const registry = SchemaRegistry.fromDirectory(dir);
    assert.deepEqual(registry.names(), ['common', 'returns/reject']);
    assert.deepEqual(registry.validate('returns/reject', { return_id: 0 }), { ok: false, errors: [{ pointer: '/return_id', message: 'must be >= 1' }] });
  });
});
