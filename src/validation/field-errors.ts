import type { ErrorObject } from 'ajv';
import type { ProblemFieldError } from '../http/problem';
import { appendPointer } from './json-pointer';

/** Enough to show every mistake of a real form; a hostile payload cannot make the answer huge. */
export const MAX_FIELD_ERRORS = 50;

/**
 * Turns ajv errors into problem `errors[]`: a JSON pointer to the field the client must fix and a
 * short message. ajv reports a missing or unexpected property at its parent object; clients want
 * to highlight the property itself, so the pointer goes one level down for those keywords.
 */
export function toFieldErrors(errors: readonly ErrorObject[] | null | undefined): ProblemFieldError[] {
  const all = errors ?? [];
  const alternatives = collapseAlternatives(all);
  const out: ProblemFieldError[] = [];
  const seen = new Set<string>();
  for (const e of all) {
    // "must match "then" schema" only repeats the errors reported under `then`.
    if (e.keyword === 'if' || alternatives.skipped.has(e)) continue;
    const field = alternatives.replaced.get(e) ?? fieldErrorOf(e);
    const key = `${field.pointer}\u0000${field.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(field);
    if (out.length === MAX_FIELD_ERRORS) break;
  }
  return out;
}

function fieldErrorOf(e: ErrorObject): ProblemFieldError {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
    case 'dependentRequired':
      return { pointer: appendPointer(e.instancePath, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { pointer: appendPointer(e.instancePath, String(params.additionalProperty)), message: 'is not allowed' };
    case 'unevaluatedProperties':
      return { pointer: appendPointer(e.instancePath, String(params.unevaluatedProperty)), message: 'is not allowed' };
    case 'propertyNames':
      return { pointer: appendPointer(e.instancePath, String(params.propertyName)), message: 'is not an allowed property name' };
    case 'enum':
      return { pointer: e.instancePath, message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { pointer: e.instancePath, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { pointer: e.instancePath, message: e.message ?? `fails ${e.keyword}` };
  }
}

/**
 * `anyOf: [{required: [a]}, {required: [b]}]` ("give a or b") would otherwise read as "a is
 * required", "b is required", "must match a schema in anyOf": one error saying which of the
 * properties is expected is what the client needs.
 */
function collapseAlternatives(errors: readonly ErrorObject[]): { skipped: Set<ErrorObject>; replaced: Map<ErrorObject, ProblemFieldError> } {
  const skipped = new Set<ErrorObject>();
  const replaced = new Map<ErrorObject, ProblemFieldError>();
  for (const c of errors) {
    if (c.keyword !== 'anyOf' && c.keyword !== 'oneOf') continue;
    const branches = errors.filter((e) => e.schemaPath.startsWith(`${c.schemaPath}/`));
    if (!branches.length || !branches.every((e) => e.keyword === 'required' && e.instancePath === c.instancePath)) continue;
    for (const b of branches) skipped.add(b);
    const names = branches.map((b) => String((b.params as { missingProperty: string }).missingProperty));
    replaced.set(c, { pointer: c.instancePath, message: `must have ${c.keyword === 'oneOf' ? 'exactly one' : 'at least one'} of the properties: ${names.join(', ')}` });
  }
  return { skipped, replaced };
}
