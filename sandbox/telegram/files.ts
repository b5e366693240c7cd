import crypto from 'node:crypto';
import path from 'node:path';
import type { TgFile, TgPhotoSize } from './types';

/**
 * Files the sandbox holds: what users "sent" (voice notes, photos, documents) and what the bot
 * uploaded. Each has a Telegram-looking `file_id` (base64url, type prefix), a `file_unique_id`
 * and a `file_path` such as `voice/file_3.oga`, downloadable at `/file/bot<token>/<file_path>`.
 */
export type FileKind = 'voice' | 'photo' | 'document' | 'audio' | 'video' | 'animation' | 'sticker' | 'video_note';

export interface StoredFile {
  readonly file_id: string;
  readonly file_unique_id: string;
  readonly file_path: string;
  readonly kind: FileKind;
  readonly bytes: Buffer;
  readonly mime_type: string;
  readonly file_name?: string;
  readonly width?: number;
  readonly height?: number;
  readonly duration?: number;
  /** For an URL the bot sent instead of bytes: Telegram would fetch it, the sandbox records it. */
  readonly source_url?: string;
}

/** Telegram refuses getFile for anything above 20 MB. */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

const ID_PREFIX: Record<FileKind, string> = {
  photo: 'AgACAgIAAxkBAAI',
  voice: 'AwACAgIAAxkBAAI',
  document: 'BQACAgIAAxkBAAI',
  audio: 'CQACAgIAAxkBAAI',
  video: 'BAACAgIAAxkBAAI',
  animation: 'CgACAgIAAxkBAAI',
  sticker: 'CAACAgIAAxkBAAI',
  video_note: 'DQACAgIAAxkBAAI',
};

const FOLDER: Record<FileKind, string> = {
  photo: 'photos',
  voice: 'voice',
  document: 'documents',
  audio: 'music',
  video: 'videos',
  animation: 'animations',
  sticker: 'stickers',
  video_note: 'video_notes',
};

const MIME_BY_EXT: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.zip': 'application/zip',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.mp4': 'video/mp4',
};

export function mimeFromName(name: string | undefined, fallback = 'application/octet-stream'): string {
  return (name && MIME_BY_EXT[path.extname(name).toLowerCase()]) || fallback;
}

export class FileStore {
  private readonly byId = new Map<string, StoredFile>();
  private readonly byPath = new Map<string, StoredFile>();
  private counter = 0;

  add(
    kind: FileKind,
    bytes: Buffer,
    meta: { mimeType?: string; fileName?: string; ext?: string; width?: number; height?: number; duration?: number; sourceUrl?: string } = {},
  ): StoredFile {
    const n = ++this.counter;
    const ext = meta.ext ?? (path.extname(meta.fileName ?? '').slice(1).toLowerCase() || defaultExt(kind));
    const file: StoredFile = {
      file_id: `${ID_PREFIX[kind]}${base64url(Buffer.concat([u32(n), crypto.randomBytes(30)]))}`,
      file_unique_id: `AQAD${base64url(Buffer.concat([u32(n), crypto.randomBytes(5)]))}`,
      file_path: `${FOLDER[kind]}/file_${n}${ext ? `.${ext}` : ''}`,
      kind,
      bytes,
      mime_type: meta.mimeType ?? mimeFromName(meta.fileName),
      ...(meta.fileName !== undefined ? { file_name: meta.fileName } : {}),
      ...(meta.width !== undefined ? { width: meta.width } : {}),
      ...(meta.height !== undefined ? { height: meta.height } : {}),
      ...(meta.duration !== undefined ? { duration: meta.duration } : {}),
      ...(meta.sourceUrl !== undefined ? { source_url: meta.sourceUrl } : {}),
    };
    this.byId.set(file.file_id, file);
    this.byPath.set(file.file_path, file);
    return file;
  }

  /**
   * A photo as Telegram stores it: several sizes of one picture. The sandbox cannot scale, so all
   * sizes carry the original bytes; the sizes it reports are the scaled-down dimensions.
   */
  addPhoto(bytes: Buffer, size: { width: number; height: number; ext: string; mime: string }): TgPhotoSize[] {
    const sides = [90, 320, 800, 1280].filter((side) => side < Math.max(size.width, size.height));
    const sizes: TgPhotoSize[] = [];
    for (const side of [...sides, Math.max(size.width, size.height)]) {
      const scale = Math.min(1, side / Math.max(size.width, size.height));
      const width = Math.max(1, Math.round(size.width * scale));
      const height = Math.max(1, Math.round(size.height * scale));
      const file = this.add('photo', bytes, { mimeType: size.mime, ext: size.ext, width, height });
      sizes.push({ file_id: file.file_id, file_unique_id: file.file_unique_id, width, height, file_size: bytes.length });
    }
    return sizes.slice(-3);
  }

  get(fileId: string): StoredFile | undefined {
    return this.byId.get(fileId);
  }

  getByPath(filePath: string): StoredFile | undefined {
    return this.byPath.get(filePath);
  }

  toTgFile(file: StoredFile): TgFile {
    return { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.bytes.length, file_path: file.file_path };
  }

  clear(): void {
    this.byId.clear();
    this.byPath.clear();
  }

  get size(): number {
    return this.byId.size;
  }
}

function defaultExt(kind: FileKind): string {
  switch (kind) {
    case 'voice':
      return 'oga';
    case 'photo':
      return 'jpg';
    case 'audio':
      return 'mp3';
    case 'video':
    case 'animation':
    case 'video_note':
      return 'mp4';
    case 'sticker':
      return 'webp';
    default:
      return '';
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function base64url(b: Buffer): string {
  return b.toString('base64url');
}
