/**
 * URL templates for the mw-delivery node: `{{path}}` inserts a value URL-encoded (safe in a path
 * segment or query value), `{{{path}}}` inserts it as is (a base URL kept in an env variable).
 * Paths read the delivery item: `{{id}}`, `{{destination}}`, `{{operation}}`, `{{payload.orderId}}`.
 */
const PLACEHOLDER = /\{\{\{\s*([\w.$-]+)\s*\}\}\}|\{\{\s*([\w.$-]+)\s*\}\}/g;

function lookup(source: unknown, path: string): unknown {
  let value: unknown = source;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Throws TemplateError naming the missing value: a URL with a hole in it must not be called. */
export function renderUrlTemplate(template: string, source: unknown): string {
  return template.replace(PLACEHOLDER, (_match, raw: string | undefined, encoded: string | undefined) => {
    const path = (raw ?? encoded)!;
    const value = lookup(source, path);
    if (value === undefined || value === null || typeof value === 'object') {
      throw new TemplateError(`URL template: {{${path}}} has no value`);
    }
    return raw ? String(value) : encodeURIComponent(String(value));
  });
}
