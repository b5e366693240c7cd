import { problemFromCode, type ProblemDetails, type ProblemFieldError } from '../http/problem';
import type { ProblemContext } from '../http/problem-request';

/** The 400 answer for a payload that fails its contract; `errors[]` lists every field. */
export function validationProblem(schemaName: string, errors: ProblemFieldError[], context: ProblemContext = {}): ProblemDetails {
  return problemFromCode('VALIDATION_FAILED', {
    ...context,
    detail: `The request does not match the contract "${schemaName}" (${errors.length} error${errors.length === 1 ? '' : 's'}).`,
    errors,
  });
}
