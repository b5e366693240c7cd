import catalogue from '../../contracts/errors.json';

/**
 * The problem catalogue (contracts/errors.json): stable machine codes → HTTP status, title and
 * problem type URI. The JSON file is the single source: the API docs list it and clients branch
 * on `code`, so it is imported (and bundled into the node packages) rather than duplicated.
 */
export type ProblemCode = keyof typeof catalogue.codes;

export interface ProblemCatalogueEntry {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  /** Absolute problem type URI (typeBase + the entry's type suffix). */
  readonly type: string;
  readonly description: string;
}

export const PROBLEM_TYPE_BASE: string = catalogue.typeBase;

const entries = new Map<string, ProblemCatalogueEntry>(
  Object.entries(catalogue.codes).map(([code, e]) => [
    code,
    Object.freeze({ code: code as ProblemCode, status: e.status, title: e.title, type: PROBLEM_TYPE_BASE + e.type, description: e.description }),
  ]),
);

export function isProblemCode(code: unknown): code is ProblemCode {
  return typeof code === 'string' && entries.has(code);
}

export function catalogueEntry(code: ProblemCode): ProblemCatalogueEntry {
  const entry = entries.get(code);
  if (!entry) throw new TypeError(`unknown problem code ${String(code)}`);
  return entry;
}

export function allProblemCodes(): ProblemCatalogueEntry[] {
  return [...entries.values()];
}

/** The generic code for a bare HTTP status (errors from Express middleware carry only that). */
const CODE_BY_STATUS: Readonly<Record<number, ProblemCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'BUSINESS_RULE_VIOLATED',
  429: 'RATE_LIMITED',
  503: 'UPSTREAM_UNAVAILABLE',
  504: 'UPSTREAM_TIMEOUT',
};

export function codeForStatus(status: number): ProblemCode | undefined {
  return CODE_BY_STATUS[status];
}
