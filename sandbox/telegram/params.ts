import type { Request } from 'express';
import { badRequest } from './errors';

/**
 * Method parameters the way the Bot API server reads them: the query string and the body are
 * merged; a body is form-encoded (node-telegram-bot-api sends `application/x-www-form-urlencoded`,
 * nested objects JSON-encoded by the caller), multipart (file methods) or JSON. Form fields are
 * read flat, as Telegram does: `scope[type]=default` (what `qs` makes of an object the caller
 * forgot to JSON-encode) is a field named "scope[type]", which Telegram ignores.
 */
export interface UploadedFile {
  readonly field: string;
  readonly filename: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

export interface MethodParams {
  readonly values: Record<string, unknown>;
  readonly files: Map<string, UploadedFile>;
}

/** A file part of a parsed multipart body (undici's File). */
interface FormFile {
  readonly name: string;
  readonly type: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

const MAX_BODY_BYTES = 55 * 1024 * 1024;

async function readBody(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw badRequest('request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function flatQuery(originalUrl: string): Record<string, unknown> {
  const at = originalUrl.indexOf('?');
  const values: Record<string, unknown> = {};
  if (at < 0) return values;
  for (const [key, value] of new URLSearchParams(originalUrl.slice(at + 1))) values[key] = value;
  return values;
}

export async function readMethodParams(req: Request): Promise<MethodParams> {
  const values = flatQuery(req.originalUrl);
  const files = new Map<string, UploadedFile>();
  const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
  const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
  if (body.length > 0) {
    if (contentType.startsWith('application/json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw badRequest("can't parse JSON object");
      }
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(values, parsed);
    } else if (contentType.startsWith('multipart/form-data')) {
      let form: FormData;
      try {
        form = await new Response(new Uint8Array(body), { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
      } catch {
        throw badRequest("can't parse multipart/form-data request");
      }
      for (const [key, value] of form as unknown as Iterable<[string, string | FormFile]>) {
        if (typeof value === 'string') {
          values[key] = value;
        } else {
          files.set(key, {
            field: key,
            filename: value.name || key,
            contentType: value.type || 'application/octet-stream',
            bytes: Buffer.from(await value.arrayBuffer()),
          });
        }
      }
    } else {
      // application/x-www-form-urlencoded, and what Telegram also reads when the type is missing.
      for (const [key, value] of new URLSearchParams(body.toString('utf8'))) values[key] = value;
    }
  }
  return { values, files };
}

/** Typed readers with Telegram's wording when a value is of the wrong kind. */
export class Params {
  constructor(
    readonly values: Record<string, unknown>,
    readonly files: Map<string, UploadedFile> = new Map(),
  ) {}

  has(name: string): boolean {
    const v = this.values[name];
    return v !== undefined && v !== null && v !== '';
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return JSON.stringify(v);
  }

  int(name: string): number | undefined {
    const v = this.values[name];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isFinite(n) || !Number.isInteger(n)) throw badRequest(`field "${name}" must be of type Integer`);
    return n;
  }

  number(name: string): number | undefined {
    const v = this.values[name];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isFinite(n)) throw badRequest(`field "${name}" must be a Number`);
    return n;
  }

  bool(name: string): boolean {
    const v = this.values[name];
    if (typeof v === 'boolean') return v;
    if (v === undefined || v === null) return false;
    const s = String(v).trim().toLowerCase();
    return s === 'true' || s === '1';
  }

  /** A JSON-serialized field (reply_markup, entities, commands, scope…), or an object sent as JSON. */
  json(name: string, whatForError: string): unknown {
    const v = this.values[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      throw badRequest(`can't parse ${whatForError} JSON object`);
    }
  }

  /** chat_id: an integer or an @username. */
  chatId(name = 'chat_id'): number | string {
    const v = this.values[name];
    if (v === undefined || v === null || v === '') throw badRequest(`${name} is empty`);
    if (typeof v === 'number') return v;
    const s = String(v).trim();
    if (/^-?\d+$/.test(s)) return Number(s);
    if (s.startsWith('@')) return s;
    throw badRequest('chat not found');
  }
}
