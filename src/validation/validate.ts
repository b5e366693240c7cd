import path from 'node:path';
import { findContractsDir } from './contracts-dir';
import { SchemaRegistry, type ValidationResult } from './schema-registry';

let registry: SchemaRegistry | undefined;

/**
 * The process-wide contracts, loaded on first use from contracts/schemas. Each esbuild node bundle
 * holds its own copy of this module, so each loads them once for itself; that is a few ms.
 */
export function contractRegistry(): SchemaRegistry {
  registry ??= SchemaRegistry.fromDirectory(path.join(findContractsDir(), 'schemas'));
  return registry;
}

/** Validates `data` against a contract (short name or $id); throws UnknownSchemaError for a wrong id. */
export function validate(schemaId: string, data: unknown): ValidationResult {
  return contractRegistry().validate(schemaId, data);
}
