import path from 'node:path';
import { downloadAudio, readAudioFile } from './download';
import { SttNoAudioError } from './errors';
import type { SttAudio, SttProvider, SttRecognizeOptions, SttResult } from './types';

/** Where the audio of a message is. */
export type AudioSource =
  | { readonly kind: 'buffer'; readonly data: Buffer; readonly fileName?: string; readonly durationSeconds?: number }
  | { readonly kind: 'url'; readonly url: string; readonly fileName?: string; readonly durationSeconds?: number }
  | { readonly kind: 'file'; readonly path: string; readonly durationSeconds?: number };

/** What the node reads from a message; flows differ, so everything is optional. */
export interface AudioMessage {
  payload?: unknown;
  filename?: unknown;
  originalMessage?: { voice?: { duration?: unknown }; audio?: { duration?: unknown; file_name?: unknown } };
}

/** Local files are read only when they are named like audio: a stray text path is never uploaded. */
const AUDIO_FILE = /\.(oga|ogg|opus|mp3|mpga|mpeg|wav|m4a|mp4|webm|flac)$/i;
const isAudioPath = (p: string): boolean => path.isAbsolute(p) && AUDIO_FILE.test(p);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

function bytesOf(v: unknown): Buffer | undefined {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  // A Buffer that went through JSON (a debug node, a link to another process): {type:'Buffer', data:[…]}.
  if (isRecord(v) && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data as number[]);
  return undefined;
}

/**
 * Finds the audio in a message, in this order:
 * - `msg.payload` is a Buffer (or Uint8Array);
 * - `msg.payload` is an http(s) URL, or an absolute path of an audio file (.oga, .ogg, .mp3, …);
 * - `msg.payload` is what the telegram receiver sends for a voice/audio message: `path` (saved
 *   with a download folder) wins over `weblink` (the Bot API file URL).
 * The duration comes from `msg.originalMessage.voice.duration` when present.
 */
export function audioSourceOf(msg: AudioMessage): AudioSource | undefined {
  const payload = msg.payload;
  const durationSeconds = num(msg.originalMessage?.voice?.duration) ?? num(msg.originalMessage?.audio?.duration) ?? (isRecord(payload) ? num(payload.duration) : undefined);
  const fileName = str(msg.filename) ?? str(msg.originalMessage?.audio?.file_name);
  const buffer = bytesOf(payload);
  if (buffer) return { kind: 'buffer', data: buffer, fileName, durationSeconds };
  if (typeof payload === 'string') {
    const s = payload.trim();
    if (/^https?:\/\//i.test(s)) return { kind: 'url', url: s, fileName, durationSeconds };
    if (isAudioPath(s)) return { kind: 'file', path: s, durationSeconds };
    return undefined;
  }
  if (isRecord(payload)) {
    const nested = bytesOf(payload.content) ?? bytesOf(payload.audio) ?? bytesOf(payload.buffer);
    if (nested) return { kind: 'buffer', data: nested, fileName: fileName ?? str(payload.fileName) ?? str(payload.filename), durationSeconds };
    const filePath = str(payload.path);
    if (filePath && isAudioPath(filePath)) return { kind: 'file', path: filePath, durationSeconds };
    const link = str(payload.weblink) ?? str(payload.url);
    if (link && /^https?:\/\//i.test(link)) return { kind: 'url', url: link, fileName, durationSeconds };
  }
  return undefined;
}

export interface RecognizeSourceOptions extends SttRecognizeOptions {
  readonly downloadTimeoutMs?: number;
  readonly maxDownloadBytes?: number;
}

/** Loads the audio (download or file) and recognises it; every failure is an SttError. */
export async function recognizeSource(provider: SttProvider, source: AudioSource | undefined, options: RecognizeSourceOptions = {}): Promise<SttResult & { audio: SttAudio }> {
  if (!source) throw new SttNoAudioError('the message has no audio (Buffer, http(s) URL, file path or telegram voice payload)');
  let audio: SttAudio;
  if (source.kind === 'buffer') {
    audio = { data: source.data, fileName: source.fileName, durationSeconds: source.durationSeconds };
  } else if (source.kind === 'url') {
    const got = await downloadAudio(source.url, { timeoutMs: options.downloadTimeoutMs, maxBytes: options.maxDownloadBytes, signal: options.signal });
    audio = { data: got.data, fileName: source.fileName ?? got.fileName, durationSeconds: source.durationSeconds };
  } else {
    const got = await readAudioFile(source.path, { maxBytes: options.maxDownloadBytes });
    audio = { data: got.data, fileName: got.fileName, durationSeconds: source.durationSeconds };
  }
  const result = await provider.recognize(audio, options);
  return { ...result, audio };
}
