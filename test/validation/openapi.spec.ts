import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import oasSchema from './fixtures/oas-3.1-schema-2022-10-07.json';
import { allProblemCodes } from '../../src/http/problem';
import { resolvePointer } from '../../src/validation/json-pointer';
import { apiOperations, buildOpenApiDocument, OperationRegistry, registerOperation, type OpenApiDocument, type OperationSpec } from '../../src/validation/openapi';
import { openApiHandler } from '../../src/validation/openapi-route';

const replay: OperationSpec = {
  method: 'post',
  path: '/api/v1/queue/replay',
  operationId: 'replayQueue',
  summary: 'Replay dead-lettered outbound deliveries',
  tags: ['ops'],
  requestSchema: 'queue-replay',
  security: ['apiToken'],
  responses: { '200': { description: 'What was (or would be) replayed', schema: { type: 'object', properties: { replayed: { type: 'integer' } } } } },
};

const reject: OperationSpec = {
  method: 'post',
  path: '/api/v1/returns/:return_id/reject',
  operationId: 'rejectReturn',
  summary: 'Reject a courier return',
  tags: ['returns'],
  security: ['apiToken', 'sessionToken'],
  parameters: [{ name: 'return_id', in: 'path', schema: 'common#/$defs/positiveId', description: 'Return id' }],
  responses: { '200': { description: 'Rejected' }, '404': 'NotFound' },
  problems: ['BUSINESS_RULE_VIOLATED', 'UPSTREAM_UNAVAILABLE'],
};

const getDelivery: OperationSpec = {
  method: 'get',
  path: '/api/v1/queue/{id}',
  operationId: 'getDelivery',
  summary: 'One outbound delivery',
  parameters: [{ name: 'verbose', in: 'query', schema: { type: 'boolean' } }],
  responses: { '200': { description: 'The delivery', schema: { type: 'object' } } },
};

function allRefs(node: unknown, at = '', out: { at: string; ref: string }[] = []): { at: string; ref: string }[] {
  if (Array.isArray(node)) node.forEach((n, i) => allRefs(n, `${at}/${i}`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push({ at, ref: v });
      else if (k !== 'examples' && k !== 'example') allRefs(v, `${at}/${k}`, out);
    }
  }
  return out;
}

/**
 * The official schema's `$dynamicRef: "#meta"` points at `{ $dynamicAnchor: "meta", type:
 * [object, boolean] }` (this schema deliberately does not validate Schema Objects). ajv resolves
 * that $dynamicRef to the wrong scope and then reports bogus "unevaluated properties", so it is
 * replaced by its target here; everything else of the schema is used as published.
 */
function withoutDynamicRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDynamicRefs);
  if (!node || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  if (record.$dynamicRef === '#meta') return { type: ['object', 'boolean'] };
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, withoutDynamicRefs(v)]));
}

function validator(): (doc: unknown) => string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('media-range', true);
  const check = ajv.compile(withoutDynamicRefs(oasSchema) as object);
  return (doc) => (check(doc) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

describe('OpenAPI document', () => {
  let doc: OpenApiDocument;
  before(() => {
    doc = buildOpenApiDocument({ operations: [replay, reject, getDelivery] });
  });

  it('is a valid OpenAPI 3.1 document (official 3.1 schema)', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(validator()(doc), []);
    assert.deepEqual(validator()(buildOpenApiDocument({ operations: [] })), [], 'also with no operations yet');
  });

  it('resolves every $ref inside the document', () => {
    const refs = allRefs(doc);
    assert.ok(refs.length > 20);
    for (const { at, ref } of refs) {
      assert.ok(ref.startsWith('#/'), `${at}: ${ref} is not local`);
      assert.notEqual(resolvePointer(doc, decodeURIComponent(ref.slice(1))), undefined, `${at}: ${ref} does not resolve`);
    }
  });

  it('declares every path template parameter as a required path parameter, and unique operationIds', () => {
    const ids = new Set<string>();
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item) as { operationId: string; parameters: { name?: string; in?: string; required?: boolean }[] }[]) {
        assert.ok(!ids.has(op.operationId));
        ids.add(op.operationId);
        for (const [, name] of p.matchAll(/\{([^}]+)\}/g)) {
          assert.ok(op.parameters.some((x) => x.name === name && x.in === 'path' && x.required === true), `${p}: ${name}`);
        }
      }
    }
    assert.ok(doc.paths['/api/v1/returns/{return_id}/reject'], 'Express :params become {params}');
  });

  it('publishes the contracts as component schemas usable by a JSON Schema 2020-12 validator', () => {
    // Every contract file becomes one component schema (the set grows with the API).
    const files = readdirSync(path.join(PROJECT_ROOT, 'contracts', 'schemas')).filter((f) => f.endsWith('.json'));
    assert.equal(Object.keys(doc.components.schemas).length, files.length);
    for (const name of ['Common', 'Problem', 'QueueReplay']) assert.ok(doc.components.schemas[name], name);
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: 'https://spareparts-mw.example/openapi.json' } as object);
    const replaySchema = ajv.getSchema('https://spareparts-mw.example/openapi.json#/components/schemas/QueueReplay')!;
    assert.equal(replaySchema({ ids: [1], reason: 'again' }), true);
    assert.equal(replaySchema({ ids: [0], reason: 'again' }), false, 'the $ref into Common is followed');
  });

  it('says in the Idempotency-Key parameter that keys live 72 h, and requires it on POST', () => {
    const param = (doc.components.parameters as Record<string, { name: string; description: string; required: boolean }>).IdempotencyKey;
    assert.equal(param.name, 'Idempotency-Key');
    assert.equal(param.required, true);
    assert.match(param.description, /72 h/);
    const post = doc.paths['/api/v1/queue/replay'].post as { parameters: { $ref?: string }[] };
    assert.ok(post.parameters.some((p) => p.$ref === '#/components/parameters/IdempotencyKey'));
    const get = doc.paths['/api/v1/queue/{id}'].get as { parameters: { $ref?: string }[] };
    assert.ok(!get.parameters.some((p) => p.$ref === '#/components/parameters/IdempotencyKey'));
  });

  it('documents the problem codes of each endpoint as problem+json responses', () => {
    const responses = (doc.paths['/api/v1/returns/{return_id}/reject'].post as { responses: Record<string, Record<string, unknown>> }).responses;
    assert.deepEqual(Object.keys(responses).sort(), ['200', '400', '401', '403', '404', '409', '422', '429', '500', '503']);
    assert.deepEqual(responses['404'], { $ref: '#/components/responses/NotFound' });
    const r422 = responses['422'] as { content: Record<string, { schema: { properties: { code: { enum: string[] } } } }> };
    assert.deepEqual(r422.content['application/problem+json'].schema.properties.code.enum.sort(), ['BUSINESS_RULE_VIOLATED', 'IDEMPOTENCY_KEY_REUSED']);
    assert.ok((responses['429'].headers as Record<string, unknown>)['Retry-After']);
    const ok = responses['200'] as { headers: Record<string, unknown> };
    assert.ok(ok.headers['Idempotent-Replayed'] && ok.headers['RateLimit-Remaining'] && ok.headers['X-Correlation-Id']);
  });

  it('lists every catalogue code in the API description', () => {
    for (const { code } of allProblemCodes()) assert.ok(String(doc.info.description).includes(`\`${code}\``), code);
  });

  it('refuses operations that name unknown contracts, responses or security schemes', () => {
    assert.throws(() => buildOpenApiDocument({ operations: [{ ...replay, requestSchema: 'nope' }] }), /does not name a contract/);
    assert.throws(() => buildOpenApiDocument({ operations: [{ ...reject, responses: { '404': 'Gone' } }] }), /no response Gone/);
    assert.throws(() => buildOpenApiDocument({ operations: [{ ...replay, security: ['cookie'] }] }), /unknown security scheme cookie/);
  });
});

describe('operation registry', () => {
  it('accepts the same registration twice but not two endpoints with one id or one route', () => {
    const registry = new OperationRegistry();
    registry.register(replay);
    registry.register({ ...replay });
    assert.equal(registry.list().length, 1);
    assert.throws(() => registry.register({ ...replay, summary: 'other' }), /already registered for another endpoint/);
    assert.throws(() => registry.register({ ...replay, operationId: 'replay2' }), /already registered as replayQueue/);
    assert.throws(() => registry.register({ ...replay, operationId: 'bad id' }), /must be an identifier/);
  });

  it('serves the registered operations at /openapi.json, rebuilt when routes register more', async () => {
    apiOperations.clear();
    const app = express();
    app.get('/openapi.json', openApiHandler());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`;
    try {
      registerOperation(getDelivery);
      const first = (await (await fetch(url)).json()) as OpenApiDocument;
      assert.deepEqual(Object.keys(first.paths), ['/api/v1/queue/{id}']);
      registerOperation(replay);
      const res = await fetch(url);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const second = (await res.json()) as OpenApiDocument;
      assert.deepEqual(Object.keys(second.paths).sort(), ['/api/v1/queue/replay', '/api/v1/queue/{id}']);
      assert.deepEqual(validator()(second), []);
    } finally {
      apiOperations.clear();
      server.close();
    }
  });
});
