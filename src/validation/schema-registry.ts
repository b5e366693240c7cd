import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ProblemFieldError } from '../http/problem';
import { toFieldErrors } from './field-errors';

/** Every contract's $id is this base + its path under contracts/schemas/, so relative $refs work. */
export const SCHEMA_BASE_URI = 'https://spareparts-mw.example/schemas/';

export type ValidationResult = { ok: true } | { ok: false; errors: ProblemFieldError[] };

export interface ContractSchema {
  /** Path under contracts/schemas without ".json", e.g. "queue-replay"; what flows and routes use. */
  readonly name: string;
  /** The full $id. */
  readonly id: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

/**
 * The JSON Schema (2020-12) contracts, loaded and compiled once. Unknown keywords, bad formats
 * and broken $refs fail at load time, so a contract mistake stops start-up instead of silently
 * letting payloads through. allErrors: a client gets every wrong field in one answer.
 */
export class SchemaRegistry {
  private readonly ajv: Ajv2020;
  private readonly byName = new Map<string, ContractSchema>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(schemas: readonly ContractSchema[]) {
    // Strict about unknown keywords and formats (typos); not about `required` inside anyOf
    // branches or keywords next to a $ref without their own `type`: both are normal contract style.
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
    addFormats(this.ajv);
    for (const s of schemas) {
      if (this.byName.has(s.name)) throw new Error(`schema ${s.name} is defined twice`);
      this.byName.set(s.name, s);
      this.ajv.addSchema(s.schema as object, s.id);
    }
    for (const s of schemas) {
      try {
        this.validators.set(s.id, this.ajv.getSchema(s.id) as ValidateFunction);
      } catch (error) {
        throw new Error(`contract ${s.name}: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  /** Reads every *.json under `dir` (contracts/schemas), checking that each $id matches its path. */
  static fromDirectory(dir: string): SchemaRegistry {
    return new SchemaRegistry(readSchemaFiles(dir));
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  schemas(): ContractSchema[] {
    return this.names().map((n) => this.byName.get(n)!);
  }

  has(schemaId: string): boolean {
    return this.lookup(schemaId) !== undefined;
  }

  /** Accepts the short name ("queue-replay"), the file name ("queue-replay.json") or the full $id. */
  lookup(schemaId: string): ContractSchema | undefined {
    const name = schemaId.startsWith(SCHEMA_BASE_URI) ? schemaId.slice(SCHEMA_BASE_URI.length) : schemaId;
    return this.byName.get(name.replace(/\.json$/, ''));
  }

  validate(schemaId: string, data: unknown): ValidationResult {
    const contract = this.lookup(schemaId);
    if (!contract) throw new UnknownSchemaError(schemaId);
    const fn = this.validators.get(contract.id)!;
    return fn(data) ? { ok: true } : { ok: false, errors: toFieldErrors(fn.errors) };
  }
}

export class UnknownSchemaError extends Error {
  override readonly name = 'UnknownSchemaError';
  constructor(readonly schemaId: string) {
    super(`no contract schema "${schemaId}" under contracts/schemas`);
  }
}

export function readSchemaFiles(dir: string): ContractSchema[] {
  const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile() && d.name.endsWith('.json'))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
  return files.map((file) => {
    const name = path.relative(dir, file).split(path.sep).join('/').replace(/\.json$/, '');
    let schema: Record<string, unknown>;
    try {
      schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`contract ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    const id = `${SCHEMA_BASE_URI}${name}.json`;
    if (schema.$id === undefined) schema = { ...schema, $id: id };
    else if (schema.$id !== id) throw new Error(`contract ${file} has $id ${String(schema.$id)}; expected ${id}`);
    return { name, id, schema };
  });
}
