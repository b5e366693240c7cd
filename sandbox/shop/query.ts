import { invalidArgument } from './errors';
import { isRecord, optionalInt, parseInstant, stringList, type Params } from './params';

/**
 * Bitrix-style list parameters over plain view objects:
 * `filter[<op>field]=value` (op: none or `=` equals / `IN` for arrays, `!` not, `>`, `>=`, `<`, `<=`,
 * `%` contains), `order[field]=asc|desc`, `select[]=field`, `start=<offset>` with pages of 50
 * (`start=-1`: the first page only, without `total` and `next`, as in Bitrix, for keyset paging).
 */
export const PAGE_SIZE = 50;

export type FieldKind = 'int' | 'number' | 'string' | 'date' | 'list' | 'bool';
export type FieldSpecs = Readonly<Record<string, FieldKind>>;
type View = Record<string, unknown>;

export interface ListPage<T> {
  result: T[];
  total?: number;
  next?: number;
}

const OPERATORS = ['>=', '<=', '!=', '>', '<', '!', '=', '%'] as const;
type Operator = (typeof OPERATORS)[number] | '';

export function buildFilter(raw: unknown, specs: FieldSpecs): (view: View) => boolean {
  if (raw === undefined || raw === '') return () => true;
  if (!isRecord(raw)) throw invalidArgument('Parameter "filter" must be an object: filter[field]=value');
  const tests = Object.entries(raw).map(([key, value]) => {
    const op: Operator = OPERATORS.find((o) => key.startsWith(o)) ?? '';
    const field = key.slice(op.length);
    const kind = specs[field];
    if (!kind) throw invalidArgument(`Unknown filter field "${field}"; allowed: ${Object.keys(specs).join(', ')}`);
    return condition(field, kind, op, value);
  });
  return (view) => tests.every((test) => test(view));
}

function condition(field: string, kind: FieldKind, op: Operator, raw: unknown): (view: View) => boolean {
  const values = (Array.isArray(raw) ? raw : [raw]).map((v) => coerce(v, kind, field));
  if (values.length === 0) throw invalidArgument(`Filter on "${field}" has no value`);
  const one = values[0];
  const equals = (actual: unknown) =>
    kind === 'list'
      ? Array.isArray(actual) && actual.some((a) => values.some((v) => String(a).toLowerCase() === String(v).toLowerCase()))
      : values.some((v) => same(normalise(actual, kind), v));
  switch (op) {
    case '':
    case '=':
      return (view) => equals(view[field]);
    case '!':
    case '!=':
      return (view) => !equals(view[field]);
    case '%': {
      const needle = String(one).toLowerCase();
      return (view) => {
        const actual = view[field];
        const hay = Array.isArray(actual) ? actual.map(String) : actual === null || actual === undefined ? [] : [String(actual)];
        return hay.some((h) => h.toLowerCase().includes(needle));
      };
    }
    default: {
      if (kind === 'list' || kind === 'bool') throw invalidArgument(`Operator "${op}" is not supported for "${field}"`);
      return (view) => {
        const actual = normalise(view[field], kind);
        if (actual === null) return false;
        const c = compare(actual, one);
        return op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '<' ? c < 0 : c <= 0;
      };
    }
  }
}

function coerce(value: unknown, kind: FieldKind, field: string): string | number | boolean {
  switch (kind) {
    case 'int':
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw invalidArgument(`Filter on "${field}" needs a number`);
      return n;
    }
    case 'date':
      return parseInstant(value, `filter[${field}]`);
    case 'bool':
      if (value === true || value === 'Y' || value === 'true' || value === '1') return true;
      if (value === false || value === 'N' || value === 'false' || value === '0') return false;
      throw invalidArgument(`Filter on "${field}" needs Y or N`);
    default:
      if (typeof value !== 'string' && typeof value !== 'number') throw invalidArgument(`Filter on "${field}" needs a string`);
      return String(value);
  }
}

/** Equality as Bitrix's MySQL collation sees it: strings compare case-insensitively. */
function same(a: string | number | boolean | null, b: string | number | boolean): boolean {
  return typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

function normalise(value: unknown, kind: FieldKind): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (kind === 'date') return Date.parse(String(value));
  if (kind === 'string') return String(value);
  return value as number | boolean;
}

function compare(a: string | number | boolean, b: string | number | boolean): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

export function buildOrder(raw: unknown, specs: FieldSpecs, fallback: Record<string, 'asc' | 'desc'>): (a: View, b: View) => number {
  const wanted = raw === undefined || raw === '' ? fallback : raw;
  if (!isRecord(wanted)) throw invalidArgument('Parameter "order" must be an object: order[field]=asc|desc');
  const keys = Object.entries(wanted).map(([field, dir]) => {
    const kind = specs[field];
    if (!kind || kind === 'list') throw invalidArgument(`Cannot order by "${field}"`);
    const direction = String(dir).toLowerCase();
    if (direction !== 'asc' && direction !== 'desc') throw invalidArgument(`Order of "${field}" must be asc or desc`);
    return { field, kind, sign: direction === 'asc' ? 1 : -1 };
  });
  if (!keys.some((k) => k.field === 'id')) keys.push({ field: 'id', kind: 'int', sign: 1 });
  return (a, b) => {
    for (const { field, kind, sign } of keys) {
      const x = normalise(a[field], kind);
      const y = normalise(b[field], kind);
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      const c = compare(x, y);
      if (c !== 0) return c * sign;
    }
    return 0;
  };
}

export function buildSelect(raw: unknown, specs: FieldSpecs, extra: readonly string[] = []): (view: View) => View {
  const fields = stringList(raw, 'select');
  if (fields.length === 0 || fields.includes('*')) return (view) => view;
  for (const field of fields) {
    if (!specs[field] && !extra.includes(field)) throw invalidArgument(`Unknown select field "${field}"`);
  }
  const chosen = fields.includes('id') ? fields : ['id', ...fields];
  return (view) => Object.fromEntries(chosen.filter((f) => f in view).map((f) => [f, view[f]]));
}

/** Filters, orders, pages and selects `views` per the request parameters. */
export function listViews<T extends View>(
  views: readonly T[],
  params: Params,
  specs: FieldSpecs,
  options: { defaultOrder?: Record<string, 'asc' | 'desc'>; selectExtra?: readonly string[] } = {},
): ListPage<View> {
  const filter = buildFilter(params.filter, specs);
  const order = buildOrder(params.order, specs, options.defaultOrder ?? { id: 'asc' });
  const select = buildSelect(params.select, specs, options.selectExtra);
  const start = optionalInt(params, 'start', -1) ?? 0;
  const matched = views.filter(filter).sort(order);
  const offset = Math.max(start, 0);
  const page = matched.slice(offset, offset + PAGE_SIZE).map(select);
  const out: ListPage<View> = { result: page };
  if (start === -1) return out; // Bitrix: no count, the client pages by a keyset filter
  out.total = matched.length;
  if (offset + PAGE_SIZE < matched.length) out.next = offset + PAGE_SIZE;
  return out;
}
