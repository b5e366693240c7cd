/**
 * A small multipart/form-data parser (RFC 7578) for the sandboxes: the whole body is in memory
 * (the STT endpoint caps it), parts are split on the boundary, each part's headers read for
 * `Content-Disposition` (name, filename, RFC 5987 filename*) and `Content-Type`.
 */

export interface MultipartFile {
  readonly field: string;
  readonly filename: string;
  readonly contentType: string;
  readonly data: Buffer;
}

export interface MultipartForm {
  readonly fields: Record<string, string>;
  readonly files: readonly MultipartFile[];
}

export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

/** The boundary of a multipart/form-data Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary && boundary.length <= 200 ? boundary : undefined;
}

function headerParams(value: string): { value: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const [first, ...rest] = splitParams(value);
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[key] = v;
  }
  return { value: first.trim().toLowerCase(), params };
}

/** Splits on `;` outside quoted strings. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

function decodeExtValue(value: string): string | undefined {
  // filename*=UTF-8''voice%20note.ogg
  const match = /^([\w-]+)'[^']*'(.*)$/.exec(value);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[2]);
  } catch {
    return undefined;
  }
}

export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartForm {
  const boundary = multipartBoundary(contentType);
  if (!boundary) throw new MultipartError('Content-Type must be multipart/form-data with a boundary');
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const fields: Record<string, string> = {};
  const files: MultipartFile[] = [];

  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('multipart body has no boundary');
  let closed = false;
  while (at >= 0) {
    let cursor = at + delimiter.length;
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) {
      closed = true; // "--boundary--": the end
      break;
    }
    // The rest of the delimiter line (transport padding) up to CRLF.
    const lineEnd = body.indexOf('\r\n', cursor, 'latin1');
    if (lineEnd < 0) throw new MultipartError('multipart part has no header line break');
    cursor = lineEnd + 2;
    const headerEnd = body.indexOf('\r\n\r\n', cursor, 'latin1');
    if (headerEnd < 0) throw new MultipartError('multipart part has no header end');
    const headers: Record<string, string> = {};
    for (const line of body.toString('utf8', cursor, headerEnd).split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const dataStart = headerEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n', 'latin1'), delimiter]), dataStart);
    if (next < 0) throw new MultipartError('multipart body is truncated (no closing boundary)');
    const data = body.subarray(dataStart, next);
    const disposition = headers['content-disposition'];
    if (!disposition) throw new MultipartError('multipart part without Content-Disposition');
    const { value: kind, params } = headerParams(disposition);
    if (kind !== 'form-data' || !params.name) throw new MultipartError('multipart part is not form-data with a name');
    const filename = (params['filename*'] && decodeExtValue(params['filename*'])) ?? params.filename;
    if (filename !== undefined) {
      files.push({ field: params.name, filename, contentType: headers['content-type'] ?? 'application/octet-stream', data: Buffer.from(data) });
    } else {
      fields[params.name] = data.toString('utf8');
    }
    at = next + 2;
  }
  if (!closed) throw new MultipartError('multipart body is truncated (no final boundary)');
  return { fields, files };
}
