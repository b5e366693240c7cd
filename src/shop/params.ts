/**
 * Bitrix REST parameters in a query string: nested objects as `key[sub]=…`, lists as `key[]=…`
 * (`filter[>updatedAt]=…`, `order[updatedAt]=asc`, `select[]=name`). URLSearchParams encodes
 * the brackets and operators, as the shop expects.
 */
export function toSearchParams(params: Readonly<Record<string, unknown>>): URLSearchParams {
  const out = new URLSearchParams();
  const add = (key: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const v of value) add(`${key}[]`, v);
    } else if (value instanceof Date) {
      out.append(key, value.toISOString());
    } else if (typeof value === 'object') {
      for (const [sub, v] of Object.entries(value as Record<string, unknown>)) add(`${key}[${sub}]`, v);
    } else if (typeof value === 'boolean') {
      out.append(key, value ? 'Y' : 'N');
    } else {
      out.append(key, String(value));
    }
  };
  for (const [key, value] of Object.entries(params)) add(key, value);
  return out;
}

/** Drops undefined members (JSON would drop them anyway; the journal should not show them either). */
export function compact<T extends Record<string, unknown>>(params: T): T {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as T;
}
