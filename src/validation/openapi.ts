import { readFileSync } from 'node:fs';
import path from 'node:path';
import { allProblemCodes, catalogueEntry, type ProblemCode } from '../http/problem-catalogue';
import { findContractsDir } from './contracts-dir';
import { OperationRegistry, openApiPath, type OperationSpec, type ResponseSpec, type SchemaSpec } from './openapi-operations';
import { ContractRefs } from './openapi-schemas';
import { SCHEMA_BASE_URI, type SchemaRegistry } from './schema-registry';
import { contractRegistry } from './validate';

export type { OperationSpec, ParameterSpec, ResponseSpec, SchemaSpec, HttpMethod } from './openapi-operations';
export { OperationRegistry, openApiPath } from './openapi-operations';

export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
};

/** The operations the API routes of this process registered. */
export const apiOperations = new OperationRegistry();

/** Called by route modules when they install their routes: the endpoint appears in /openapi.json. */
export function registerOperation(op: OperationSpec): void {
  apiOperations.register(op);
}

export interface BuildOptions {
  readonly operations?: readonly OperationSpec[];
  readonly contracts?: SchemaRegistry;
  /** Default: contracts/openapi-base.json. */
  readonly base?: Readonly<Record<string, unknown>>;
}

export function readOpenApiBase(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(findContractsDir(), 'openapi-base.json'), 'utf8')) as Record<string, unknown>;
}

/**
 * The OpenAPI 3.1 document: the base (info, servers, security schemes, common responses), the
 * contracts as component schemas, the registered operations, and the error code catalogue.
 * Throws when an operation names a contract, response or security scheme that does not exist, so
 * a broken doc fails tests instead of reaching API consumers.
 */
export function buildOpenApiDocument(options: BuildOptions = {}): OpenApiDocument {
  const doc = structuredClone(options.base ?? readOpenApiBase()) as OpenApiDocument;
  const contracts = options.contracts ?? contractRegistry();
  const refs = new ContractRefs(contracts.schemas());
  doc.paths ??= {};
  doc.components ??= {};
  doc.components.schemas = { ...(doc.components.schemas ?? {}), ...refs.componentSchemas() };
  doc.info.description = `${String(doc.info.description ?? '')}\n\n${errorCodesTable()}`.trim();
  for (const op of options.operations ?? apiOperations.list()) {
    const p = openApiPath(op.path);
    doc.paths[p] ??= {};
    doc.paths[p][op.method] = buildOperation(op, doc, refs);
  }
  return doc;
}

function errorCodesTable(): string {
  const rows = allProblemCodes().map((e) => `| \`${e.code}\` | ${e.status} | ${e.title} | ${e.description} |`);
  return ['## Error codes', '', '| code | status | title | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

const PROBLEM_SCHEMA_REF = '#/components/schemas/Problem';
const ROOT = `${SCHEMA_BASE_URI}root.json`;

function schemaOf(spec: SchemaSpec, refs: ContractRefs): unknown {
  return typeof spec === 'string' ? { $ref: refs.refFor(spec, ROOT) } : spec;
}

/** Problems implied by what the operation does, plus the ones it declares. */
function problemCodesOf(op: OperationSpec, idempotent: boolean, rateLimited: boolean): ProblemCode[] {
  const codes = new Set<ProblemCode>(op.problems ?? []);
  if (op.requestSchema) ['VALIDATION_FAILED', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'].forEach((c) => codes.add(c as ProblemCode));
  if (idempotent) {
    for (const c of ['IDEMPOTENCY_KEY_MISSING', 'IDEMPOTENCY_KEY_MALFORMED', 'IDEMPOTENCY_IN_FLIGHT', 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_UNAVAILABLE'] as const) codes.add(c);
  }
  if (op.security?.length) ['UNAUTHORIZED', 'FORBIDDEN'].forEach((c) => codes.add(c as ProblemCode));
  if (rateLimited) codes.add('RATE_LIMITED');
  codes.add('INTERNAL');
  return [...codes];
}

function buildOperation(op: OperationSpec, doc: OpenApiDocument, refs: ContractRefs): Record<string, unknown> {
  const idempotent = op.idempotent ?? op.method === 'post';
  const rateLimited = op.rateLimited ?? true;
  const out: Record<string, unknown> = { operationId: op.operationId, summary: op.summary };
  if (op.description) out.description = op.description;
  if (op.tags?.length) out.tags = [...op.tags];
  if (op.deprecated) out.deprecated = true;

  const parameters: unknown[] = [{ $ref: '#/components/parameters/CorrelationId' }];
  if (idempotent) parameters.unshift({ $ref: '#/components/parameters/IdempotencyKey' });
  const declared = new Set((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name));
  for (const [, name] of openApiPath(op.path).matchAll(/\{([^}]+)\}/g)) {
    if (!declared.has(name)) parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
  }
  for (const p of op.parameters ?? []) {
    const param: Record<string, unknown> = { name: p.name, in: p.in, required: p.in === 'path' ? true : (p.required ?? false) };
    if (p.description) param.description = p.description;
    param.schema = p.schema ? schemaOf(p.schema, refs) : { type: 'string' };
    parameters.push(param);
  }
  out.parameters = parameters;

  if (op.requestSchema) {
    out.requestBody = { required: true, content: { [op.requestContentType ?? 'application/json']: { schema: schemaOf(op.requestSchema, refs) } } };
  }

  if (op.security) {
    const schemes = doc.components.securitySchemes ?? {};
    for (const s of op.security) if (!(s in schemes)) throw new Error(`operation ${op.operationId}: unknown security scheme ${s}`);
    out.security = op.security.map((s) => ({ [s]: [] }));
  }

  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(op.responses)) {
    responses[status] = typeof spec === 'string' ? namedResponse(spec, op, doc) : successResponse(status, spec, idempotent, rateLimited, refs);
  }
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of problemCodesOf(op, idempotent, rateLimited)) {
    const status = catalogueEntry(code).status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    if (!(String(status) in responses)) responses[String(status)] = problemResponse(status, codes);
  }
  out.responses = responses;
  return out;
}

function namedResponse(name: string, op: OperationSpec, doc: OpenApiDocument): unknown {
  if (!doc.components.responses || !(name in doc.components.responses)) throw new Error(`operation ${op.operationId}: no response ${name} in components.responses`);
  return { $ref: `#/components/responses/${name}` };
}

function successResponse(status: string, spec: ResponseSpec, idempotent: boolean, rateLimited: boolean, refs: ContractRefs): unknown {
  const headers: Record<string, unknown> = { 'X-Correlation-Id': { $ref: '#/components/headers/XCorrelationId' } };
  if (/^2/.test(status)) {
    if (idempotent) headers['Idempotent-Replayed'] = { $ref: '#/components/headers/IdempotentReplayed' };
    if (rateLimited) {
      headers['RateLimit-Limit'] = { $ref: '#/components/headers/RateLimitLimit' };
      headers['RateLimit-Remaining'] = { $ref: '#/components/headers/RateLimitRemaining' };
      headers['RateLimit-Reset'] = { $ref: '#/components/headers/RateLimitReset' };
    }
  }
  const out: Record<string, unknown> = { description: spec.description, headers };
  if (spec.schema) out.content = { [spec.contentType ?? 'application/json']: { schema: schemaOf(spec.schema, refs) } };
  return out;
}

/** An error response listing exactly the codes this endpoint can answer with at that status. */
function problemResponse(status: number, codes: readonly ProblemCode[]): unknown {
  const headers: Record<string, unknown> = { 'X-Correlation-Id': { $ref: '#/components/headers/XCorrelationId' } };
  if (status === 429 || status === 503 || codes.includes('IDEMPOTENCY_IN_FLIGHT')) headers['Retry-After'] = { $ref: '#/components/headers/RetryAfter' };
  return {
    description: codes.map((c) => `${c}: ${catalogueEntry(c).title}`).join('; '),
    headers,
    content: {
      'application/problem+json': {
        schema: { $ref: PROBLEM_SCHEMA_REF, properties: { code: { enum: [...codes] } } },
      },
    },
  };
}
