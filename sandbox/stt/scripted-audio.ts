import { createHash } from 'node:crypto';

/**
 * Scripted voice notes: the convention every sandbox shares for "speech" that recognises
 * deterministically.
 *
 * A scripted voice note is a valid Ogg Opus file (what Telegram stores as `voice/file_N.oga`):
 * an `OpusHead` page, an `OpusTags` page and 20 ms Opus frames for the duration (silent by
 * default), with page CRCs right, so `ffprobe`/`opusinfo` accept it and any decoder plays
 * silence. The text the "speaker" said is a Vorbis-comment user tag of OpusTags:
 *
 *     TRANSCRIPT=<text, UTF-8>
 *
 * `decodeScriptedVoice` also reads `SANDBOX_TRANSCRIPT=<text>`, the tag the Telegram sandbox's
 * own `makeScriptedVoice` writes, so voice notes from either generator are recognised.
 */

export const TRANSCRIPT_KEY = 'TRANSCRIPT';
/** Tags read back as the transcript, first match wins. */
export const TRANSCRIPT_KEYS: readonly string[] = [TRANSCRIPT_KEY, 'SANDBOX_TRANSCRIPT'];

export const OPUS_SAMPLE_RATE = 48_000;
const PRE_SKIP = 312;
const FRAME_SAMPLES = 960; // 20 ms at 48 kHz
/** TOC 0xF8 (CELT fullband, 20 ms, mono, one frame) and a frame that decodes as silence. */
const SILENT_FRAME = Buffer.from([0xf8, 0xff, 0xfe]);
const SERIAL = 0x53545431; // "STT1": fixed, so the same text gives the same bytes

export interface ScriptedVoiceOptions {
  /** Seconds of audio; default from the text (≈ 2.5 words a second, at least one second). */
  durationSeconds?: number;
  /** Bytes per 20 ms Opus frame (≥ 3); larger frames make big files for size-limit tests. */
  frameBytes?: number;
  /** Channel count written in OpusHead (Telegram voice notes are mono). */
  channels?: number;
  /** More `KEY=value` comments. */
  comments?: readonly string[];
  /** Vendor string of OpusTags. */
  vendor?: string;
}

/** Seconds a speaker needs for the text (≈ 2.5 words a second, at least one second). */
export function speakingSeconds(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.max(1, Math.round(words / 2.5));
}

// ── Ogg framing ──────────────────────────────────────────────────────────────────────────
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** The Ogg page checksum (CRC-32, polynomial 0x04c11db7, no reflection, zero init). */
export function oggCrc32(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) & 0xff) ^ byte]) >>> 0;
  return crc >>> 0;
}

function lacingValues(length: number): number[] {
  const values: number[] = [];
  let left = length;
  while (left >= 255) {
    values.push(255);
    left -= 255;
  }
  values.push(left);
  return values;
}

function oggPage(packets: readonly Buffer[], flags: number, granule: bigint, sequence: number): Buffer {
  const segments = packets.flatMap((p) => lacingValues(p.length));
  if (segments.length > 255) throw new Error('ogg page would need more than 255 segments');
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header[4] = 0; // stream structure version
  header[5] = flags;
  header.writeBigInt64LE(granule, 6);
  header.writeUInt32LE(SERIAL, 14);
  header.writeUInt32LE(sequence, 18);
  header[26] = segments.length;
  const page = Buffer.concat([header, Buffer.from(segments), ...packets]);
  page.writeUInt32LE(oggCrc32(page), 22);
  return page;
}

function opusHead(channels: number): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = channels;
  head.writeUInt16LE(PRE_SKIP, 10);
  head.writeUInt32LE(OPUS_SAMPLE_RATE, 12); // input sample rate (informational)
  head.writeInt16LE(0, 16); // output gain
  head[18] = 0; // channel mapping family
  return head;
}

function opusTags(vendor: string, comments: readonly string[]): Buffer {
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n, 0);
    return b;
  };
  const vendorBytes = Buffer.from(vendor, 'utf8');
  const parts: Buffer[] = [Buffer.from('OpusTags', 'latin1'), u32(vendorBytes.length), vendorBytes, u32(comments.length)];
  for (const comment of comments) {
    const bytes = Buffer.from(comment, 'utf8');
    parts.push(u32(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

function frame(bytes: number, index: number): Buffer {
  if (bytes <= SILENT_FRAME.length) return SILENT_FRAME;
  // Filler after the TOC byte: deterministic, decodes as noise; only its size matters.
  const out = Buffer.alloc(bytes);
  out[0] = 0xf8;
  for (let i = 1; i < bytes; i++) out[i] = (i * 31 + index * 7) & 0xff;
  return out;
}

/**
 * A scripted voice note saying `text`: a valid Ogg Opus file of `durationSeconds` carrying
 * `TRANSCRIPT=<text>` in its OpusTags. Deterministic: the same input gives the same bytes.
 */
export function encodeScriptedVoice(text: string, options: ScriptedVoiceOptions = {}): Buffer {
  const durationSeconds = Math.max(0.02, options.durationSeconds ?? speakingSeconds(text));
  const frameBytes = Math.max(SILENT_FRAME.length, Math.floor(options.frameBytes ?? SILENT_FRAME.length));
  const channels = Math.max(1, Math.min(255, Math.floor(options.channels ?? 1)));
  const pages: Buffer[] = [];
  let sequence = 0;
  pages.push(oggPage([opusHead(channels)], 0x02, 0n, sequence++)); // beginning of stream
  const comments = [`${TRANSCRIPT_KEY}=${text}`, ...(options.comments ?? []), 'ENCODER=spareparts-stt-sandbox'];
  pages.push(oggPage([opusTags(options.vendor ?? 'spareparts-stt-sandbox', comments)], 0, 0n, sequence++));

  const frames = Math.max(1, Math.round((durationSeconds * OPUS_SAMPLE_RATE) / FRAME_SAMPLES));
  const perPage = Math.max(1, Math.min(50, Math.floor(255 / lacingValues(frameBytes).length)));
  let written = 0;
  while (written < frames) {
    const count = Math.min(perPage, frames - written);
    const packets = Array.from({ length: count }, (_, i) => frame(frameBytes, written + i));
    written += count;
    const last = written >= frames;
    pages.push(oggPage(packets, last ? 0x04 : 0, BigInt(PRE_SKIP + written * FRAME_SAMPLES), sequence++));
  }
  return Buffer.concat(pages);
}

// ── reading ──────────────────────────────────────────────────────────────────────────────
export interface OggInspection {
  /** The first packet is an OpusHead. */
  readonly opus: boolean;
  readonly channels?: number;
  readonly preSkip?: number;
  /** Seconds, from the last page's granule position (Opus: 48 kHz minus pre-skip). */
  readonly durationSeconds?: number;
  readonly vendor?: string;
  /** OpusTags user comments, `KEY=value`. */
  readonly comments: readonly string[];
  /** Every page header said "OggS" and its CRC matched. */
  readonly valid: boolean;
}

/** Reads an Ogg stream's header packets and duration; undefined when the bytes are not Ogg. */
export function inspectOgg(bytes: Buffer): OggInspection | undefined {
  if (bytes.length < 27 || bytes.toString('latin1', 0, 4) !== 'OggS') return undefined;
  const packets: Buffer[] = [];
  let pending: Buffer[] = [];
  let lastGranule = -1n;
  let valid = true;
  let at = 0;
  while (at < bytes.length) {
    if (at + 27 > bytes.length || bytes.toString('latin1', at, at + 4) !== 'OggS') {
      valid = false;
      break;
    }
    const count = bytes[at + 26];
    const dataStart = at + 27 + count;
    if (dataStart > bytes.length) {
      valid = false;
      break;
    }
    const table = bytes.subarray(at + 27, dataStart);
    const size = table.reduce((sum, v) => sum + v, 0);
    if (dataStart + size > bytes.length) {
      valid = false;
      break;
    }
    const page = Buffer.from(bytes.subarray(at, dataStart + size));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    if (oggCrc32(page) !== crc) valid = false;
    const granule = bytes.readBigInt64LE(at + 6);
    if (granule >= 0n) lastGranule = granule;
    let data = dataStart;
    for (const value of table) {
      if (packets.length < 2) pending.push(bytes.subarray(data, data + value));
      data += value;
      if (value < 255) {
        if (packets.length < 2) packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    at = data;
  }
  const head = packets[0];
  const opus = !!head && head.length >= 19 && head.toString('latin1', 0, 8) === 'OpusHead';
  const channels = opus ? head[9] : undefined;
  const preSkip = opus ? head.readUInt16LE(10) : undefined;
  let vendor: string | undefined;
  const comments: string[] = [];
  const tags = packets[1];
  if (opus && tags && tags.length >= 16 && tags.toString('latin1', 0, 8) === 'OpusTags') {
    let p = 8;
    const vendorLength = tags.readUInt32LE(p);
    p += 4;
    vendor = tags.toString('utf8', p, p + vendorLength);
    p += vendorLength;
    if (p + 4 <= tags.length) {
      const n = tags.readUInt32LE(p);
      p += 4;
      for (let i = 0; i < n && p + 4 <= tags.length; i++) {
        const length = tags.readUInt32LE(p);
        p += 4;
        comments.push(tags.toString('utf8', p, p + length));
        p += length;
      }
    }
  }
  const durationSeconds = opus && lastGranule > 0n ? Math.max(0, Number(lastGranule - BigInt(preSkip ?? 0)) / OPUS_SAMPLE_RATE) : undefined;
  return { opus, channels, preSkip, durationSeconds, vendor, comments, valid };
}

/** The scripted text of a voice note, or undefined for any other audio. */
export function decodeScriptedVoice(bytes: Buffer): string | undefined {
  const info = inspectOgg(bytes);
  if (!info) return undefined;
  for (const key of TRANSCRIPT_KEYS) {
    const prefix = `${key}=`;
    const comment = info.comments.find((c) => c.slice(0, prefix.length).toUpperCase() === prefix);
    if (comment !== undefined) return comment.slice(prefix.length);
  }
  return undefined;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
