import { createHash } from 'node:crypto';

/** Containers we can tell apart by their first bytes. */
export type AudioFormat = 'ogg' | 'wav' | 'mp3' | 'flac' | 'webm' | 'm4a';

export function detectAudioFormat(bytes: Uint8Array): AudioFormat | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 16));
  const ascii = (from: number, to: number): string => b.toString('latin1', from, to);
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (ascii(4, 8) === 'ftyp') return 'm4a';
  if (ascii(0, 3) === 'ID3' || (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0)) return 'mp3';
  return undefined;
}

export interface OggOpusInfo {
  /** The stream starts with an OpusHead packet. */
  readonly opus: boolean;
  readonly channels?: number;
  /** Seconds from the last page's granule position minus pre-skip (48 kHz). */
  readonly durationSeconds?: number;
}

/**
 * Walks the Ogg page headers (no decoding, no CRC) for the Opus header and the last granule
 * position: cheap enough to run on every voice note before paying for recognition.
 * Undefined when the bytes are not an Ogg stream.
 */
export function oggOpusInfo(bytes: Buffer): OggOpusInfo | undefined {
  if (bytes.length < 28 || bytes.toString('latin1', 0, 4) !== 'OggS') return undefined;
  const segments = bytes[26];
  const firstData = 27 + segments;
  const opus = bytes.length >= firstData + 19 && bytes.toString('latin1', firstData, firstData + 8) === 'OpusHead';
  const channels = opus ? bytes[firstData + 9] : undefined;
  const preSkip = opus ? bytes.readUInt16LE(firstData + 10) : 0;
  let lastGranule = -1n;
  let at = 0;
  while (at + 27 <= bytes.length && bytes.toString('latin1', at, at + 4) === 'OggS') {
    const granule = bytes.readBigInt64LE(at + 6);
    if (granule >= 0n) lastGranule = granule;
    const count = bytes[at + 26];
    if (at + 27 + count > bytes.length) break;
    let size = 0;
    for (let i = 0; i < count; i++) size += bytes[at + 27 + i];
    at += 27 + count + size;
  }
  const durationSeconds = opus && lastGranule > 0n ? Math.max(0, Number(lastGranule - BigInt(preSkip)) / 48_000) : undefined;
  return { opus, channels, durationSeconds };
}

const EXTENSIONS: Record<AudioFormat, string> = { ogg: 'ogg', wav: 'wav', mp3: 'mp3', flac: 'flac', webm: 'webm', m4a: 'm4a' };

/**
 * The file name to upload to an OpenAI-compatible transcription API. Telegram names voice notes
 * `file_N.oga`; the API refuses the `.oga` extension ("Invalid file format") although it is plain
 * Ogg, so `.oga` (and `.opus`) become `.ogg`. A name without a known extension gets one from the
 * content.
 */
export function transcriptionFileName(name: string | undefined, bytes: Uint8Array): string {
  const format = detectAudioFormat(bytes);
  const base = (name ?? '').split(/[\\/]/).pop()?.trim() ?? '';
  const match = /^(.*?)(?:\.([A-Za-z0-9]+))?$/.exec(base);
  const stem = (match?.[1] || 'voice').replace(/[^\w.-]+/g, '_').slice(0, 100) || 'voice';
  const ext = match?.[2]?.toLowerCase();
  if (ext === 'oga' || ext === 'opus' || (format === 'ogg' && ext !== 'ogg')) return `${stem}.ogg`;
  if (ext && ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'ogg', 'wav', 'webm'].includes(ext)) return `${stem}.${ext}`;
  return `${stem}.${format ? EXTENSIONS[format] : 'ogg'}`;
}

export function mimeTypeOf(fileName: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  switch (ext) {
    case 'ogg':
    case 'oga':
    case 'opus':
      return 'audio/ogg';
    case 'wav':
      return 'audio/wav';
    case 'mp3':
    case 'mpeg':
    case 'mpga':
      return 'audio/mpeg';
    case 'flac':
      return 'audio/flac';
    case 'webm':
      return 'audio/webm';
    case 'm4a':
    case 'mp4':
      return 'audio/mp4';
    default:
      return 'application/octet-stream';
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
