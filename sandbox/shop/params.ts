import { invalidArgument } from './errors';

/**
 * Reading request parameters the way Bitrix does: the same method accepts query string, JSON
 * or form fields, so numbers may arrive as strings. Each reader throws INVALID_ARGUMENT naming
 * the parameter.
 */
export type Params = Record<string, unknown>;

export function optionalInt(params: Params, name: string, min = 1): number | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min) throw invalidArgument(`Parameter "${name}" must be an integer ≥ ${min}`);
  return value;
}

export function requiredInt(params: Params, name: string, min = 1): number {
  const value = optionalInt(params, name, min);
  if (value === undefined) throw invalidArgument(`Parameter "${name}" is required`);
  return value;
}

export function optionalString(params: Params, name: string, maxLength = 1000): string | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' && typeof raw !== 'number') throw invalidArgument(`Parameter "${name}" must be a string`);
  const value = String(raw).trim();
  if (value.length > maxLength) throw invalidArgument(`Parameter "${name}" is longer than ${maxLength} characters`);
  return value === '' ? undefined : value;
}

export function requiredString(params: Params, name: string, maxLength = 1000): string {
  const value = optionalString(params, name, maxLength);
  if (value === undefined) throw invalidArgument(`Parameter "${name}" is required`);
  return value;
}

export function requiredEnum<T extends string>(params: Params, name: string, allowed: readonly T[]): T {
  const value = params[name];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidArgument(`Parameter "${name}" must be one of: ${allowed.join(', ')}`);
  }
  return value as T;
}

/** An ISO 8601 date-time (or anything Date.parse reads unambiguously), as epoch milliseconds. */
export function parseInstant(value: unknown, name: string): number {
  const ms = typeof value === 'string' && value.trim() !== '' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw invalidArgument(`Parameter "${name}" must be an ISO 8601 date-time`);
  return ms;
}

export function stringList(raw: unknown, name: string): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (!items || items.some((item) => typeof item !== 'string')) throw invalidArgument(`Parameter "${name}" must be a list of strings`);
  return (items as string[]).map((s) => s.trim()).filter(Boolean);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
