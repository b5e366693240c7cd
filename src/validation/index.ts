export { validate, contractRegistry } from './validate';
export { SchemaRegistry, UnknownSchemaError, SCHEMA_BASE_URI, type ValidationResult, type ContractSchema } from './schema-registry';
export { findContractsDir } from './contracts-dir';
export { toFieldErrors, MAX_FIELD_ERRORS } from './field-errors';
export { buildOpenApiDocument, registerOperation, apiOperations, readOpenApiBase, type OpenApiDocument, type OperationSpec } from './openapi';
export { openApiHandler } from './openapi-route';
export { validationProblem } from './validation-problem';
