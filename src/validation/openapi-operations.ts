import type { ProblemCode } from '../http/problem-catalogue';

/** What a route module tells the API docs about one endpoint. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * A schema reference: a contract name ("queue-replay"), a part of one
 * ("common#/$defs/positiveId"), or an inline JSON Schema object.
 */
export type SchemaSpec = string | Readonly<Record<string, unknown>>;

export interface ParameterSpec {
  readonly name: string;
  readonly in: 'query' | 'path' | 'header';
  readonly required?: boolean;
  readonly description?: string;
  readonly schema?: SchemaSpec;
}

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: SchemaSpec;
  /** Default application/json. */
  readonly contentType?: string;
}

export interface OperationSpec {
  readonly method: HttpMethod;
  /** Express style (/returns/:return_id/reject) or OpenAPI style (/returns/{return_id}/reject). */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Contract the JSON body is validated against; adds the 400/413 validation problems. */
  readonly requestSchema?: SchemaSpec;
  readonly requestContentType?: string;
  /** Needs an Idempotency-Key (default: true for POST, as the resilience contract requires). */
  readonly idempotent?: boolean;
  /** Per-principal rate limit applies (default true): documents 429 and the RateLimit headers. */
  readonly rateLimited?: boolean;
  /** Names of components.securitySchemes, any one of which is accepted; [] = public. */
  readonly security?: readonly string[];
  readonly parameters?: readonly ParameterSpec[];
  /**
   * Success (and special) responses by status. A string names a response of
   * components.responses in contracts/openapi-base.json (e.g. 'NotFound').
   */
  readonly responses: Readonly<Record<string, ResponseSpec | string>>;
  /** Further problem codes this endpoint can answer with (e.g. OUT_OF_STOCK). */
  readonly problems?: readonly ProblemCode[];
  readonly deprecated?: boolean;
}

const METHODS = new Set<HttpMethod>(['get', 'post', 'put', 'patch', 'delete']);

/** "/returns/:id/reject" → "/returns/{id}/reject". */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/**
 * Operations registered by route modules when they are installed. The document is built from
 * whatever is registered at request time, so installation order does not matter.
 */
export class OperationRegistry {
  private readonly byId = new Map<string, OperationSpec>();
  private changes = 0;

  register(op: OperationSpec): void {
    if (!METHODS.has(op.method)) throw new TypeError(`registerOperation ${op.operationId}: unsupported method ${op.method}`);
    if (!op.path.startsWith('/')) throw new TypeError(`registerOperation ${op.operationId}: path must start with /`);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(op.operationId)) throw new TypeError(`registerOperation: operationId "${op.operationId}" must be an identifier`);
    const existing = this.byId.get(op.operationId);
    if (existing) {
      // Installing the same routes twice (tests, re-mounts) is harmless; two different
      // endpoints with one id would break generated clients.
      if (JSON.stringify(existing) === JSON.stringify(op)) return;
      throw new Error(`registerOperation: operationId ${op.operationId} is already registered for another endpoint`);
    }
    const clash = [...this.byId.values()].find((o) => o.method === op.method && openApiPath(o.path) === openApiPath(op.path));
    if (clash) throw new Error(`registerOperation: ${op.method.toUpperCase()} ${op.path} is already registered as ${clash.operationId}`);
    this.byId.set(op.operationId, op);
    this.changes++;
  }

  list(): OperationSpec[] {
    return [...this.byId.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }

  /** Changes with every registration, so a served document can be cached until then. */
  get revision(): number {
    return this.changes;
  }

  clear(): void {
    this.byId.clear();
    this.changes++;
  }
}
