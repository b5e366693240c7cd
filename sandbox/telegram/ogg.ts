/**
 * Scripted voice notes. A real Telegram voice note is an Ogg Opus file (`voice/file_N.oga`); the
 * sandbox makes a valid one (OpusHead, OpusTags, 20 ms silent Opus frames for the duration, page
 * CRCs right) and writes the text the "speaker" said into the OpusTags user comments as
 *
 *     SANDBOX_TRANSCRIPT=<text, UTF-8>
 *
 * The STT sandbox reads it back with `readScriptedTranscript(bytes)` (or any Vorbis-comment reader,
 * e.g. `ffprobe -show_entries format_tags`), so "speech" recognition is deterministic. The file
 * decodes as silence in any Opus decoder.
 */

export const TRANSCRIPT_TAG = 'SANDBOX_TRANSCRIPT';

const SAMPLE_RATE = 48_000;
const PRE_SKIP = 312;
const FRAME_SAMPLES = 960; // 20 ms at 48 kHz
/** TOC 0xF8 (CELT fullband 20 ms, mono, one frame) + the 2-byte silent frame. */
const SILENT_FRAME = Buffer.from([0xf8, 0xff, 0xfe]);
const FRAMES_PER_PAGE = 50;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(data: Buffer): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) & 0xff) ^ byte]) >>> 0;
  return crc >>> 0;
}

function lacing(length: number): number[] {
  const values: number[] = [];
  let left = length;
  while (left >= 255) {
    values.push(255);
    left -= 255;
  }
  values.push(left);
  return values;
}

function page(packets: Buffer[], opts: { flags: number; granule: bigint; serial: number; sequence: number }): Buffer {
  const segments = packets.flatMap((p) => lacing(p.length));
  if (segments.length > 255) throw new Error('ogg page too large');
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header[4] = 0;
  header[5] = opts.flags;
  header.writeBigInt64LE(opts.granule, 6);
  header.writeUInt32LE(opts.serial, 14);
  header.writeUInt32LE(opts.sequence, 18);
  header.writeUInt32LE(0, 22);
  header[26] = segments.length;
  const out = Buffer.concat([header, Buffer.from(segments), ...packets]);
  out.writeUInt32LE(oggCrc(out), 22);
  return out;
}

function opusHead(): Buffer {
  const b = Buffer.alloc(19);
  b.write('OpusHead', 0, 'latin1');
  b[8] = 1; // version
  b[9] = 1; // channels
  b.writeUInt16LE(PRE_SKIP, 10);
  b.writeUInt32LE(SAMPLE_RATE, 12);
  b.writeInt16LE(0, 16);
  b[18] = 0; // mapping family
  return b;
}

function opusTags(comments: string[]): Buffer {
  const vendor = Buffer.from('telegram-sandbox', 'utf8');
  const parts: Buffer[] = [Buffer.from('OpusTags', 'latin1')];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n, 0);
    return b;
  };
  parts.push(u32(vendor.length), vendor, u32(comments.length));
  for (const c of comments) {
    const bytes = Buffer.from(c, 'utf8');
    parts.push(u32(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

/** Seconds a speaker needs for the text, roughly (≈ 2.5 words a second, at least one second). */
export function estimateDuration(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.max(1, Math.round(words / 2.5));
}

/** A valid Ogg Opus voice note of `durationSeconds` of silence carrying the scripted text. */
export function makeScriptedVoice(text: string, durationSeconds = estimateDuration(text)): Buffer {
  const serial = 0x5a4e4442; // fixed: the same text gives the same bytes
  const clipped = Buffer.from(text, 'utf8').subarray(0, 16_000).toString('utf8');
  const pages: Buffer[] = [];
  let sequence = 0;
  pages.push(page([opusHead()], { flags: 0x02, granule: 0n, serial, sequence: sequence++ }));
  pages.push(page([opusTags([`${TRANSCRIPT_TAG}=${clipped}`, 'ENCODER=telegram-sandbox'])], { flags: 0, granule: 0n, serial, sequence: sequence++ }));
  const frames = Math.max(1, Math.round(Math.max(0.1, durationSeconds) * (SAMPLE_RATE / FRAME_SAMPLES)));
  let written = 0;
  while (written < frames) {
    const count = Math.min(FRAMES_PER_PAGE, frames - written);
    written += count;
    const packets = Array.from({ length: count }, () => SILENT_FRAME);
    const last = written >= frames;
    pages.push(page(packets, { flags: last ? 0x04 : 0, granule: BigInt(PRE_SKIP + written * FRAME_SAMPLES), serial, sequence: sequence++ }));
  }
  return Buffer.concat(pages);
}

interface OggInfo {
  packets: Buffer[];
  lastGranule: bigint;
}

function readOgg(bytes: Buffer, maxPackets = 3): OggInfo | undefined {
  const packets: Buffer[] = [];
  let pending: Buffer[] = [];
  let lastGranule = 0n;
  let at = 0;
  while (at + 27 <= bytes.length) {
    if (bytes.toString('latin1', at, at + 4) !== 'OggS') return packets.length ? { packets, lastGranule } : undefined;
    const granule = bytes.readBigInt64LE(at + 6);
    const count = bytes[at + 26];
    const table = bytes.subarray(at + 27, at + 27 + count);
    let data = at + 27 + count;
    for (const value of table) {
      if (packets.length < maxPackets) pending.push(bytes.subarray(data, data + value));
      data += value;
      if (value < 255) {
        if (packets.length < maxPackets) packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    if (granule >= 0n) lastGranule = granule;
    at = data;
  }
  return { packets, lastGranule };
}

/** The comments of an Ogg Opus (OpusTags) or Ogg Vorbis file, as KEY=value strings. */
export function readOggComments(bytes: Buffer): string[] {
  const info = readOgg(bytes);
  const tags = info?.packets.find((p) => p.toString('latin1', 0, 8) === 'OpusTags' || p.toString('latin1', 1, 7) === 'vorbis');
  if (!tags) return [];
  let at = tags.toString('latin1', 0, 8) === 'OpusTags' ? 8 : 7;
  const vendorLength = tags.readUInt32LE(at);
  at += 4 + vendorLength;
  const count = tags.readUInt32LE(at);
  at += 4;
  const comments: string[] = [];
  for (let i = 0; i < count && at + 4 <= tags.length; i++) {
    const length = tags.readUInt32LE(at);
    at += 4;
    comments.push(tags.toString('utf8', at, at + length));
    at += length;
  }
  return comments;
}

/** The scripted text of a sandbox voice note, or undefined for any other audio. */
export function readScriptedTranscript(bytes: Buffer): string | undefined {
  const prefix = `${TRANSCRIPT_TAG}=`;
  const comment = readOggComments(bytes).find((c) => c.toUpperCase().startsWith(prefix));
  return comment?.slice(prefix.length);
}

/** Duration in whole seconds of an Ogg Opus file, from its last granule position. */
export function oggOpusDuration(bytes: Buffer): number | undefined {
  const info = readOgg(bytes, 0);
  if (!info || info.lastGranule <= 0n) return undefined;
  return Math.max(1, Math.round(Number(info.lastGranule - BigInt(PRE_SKIP)) / SAMPLE_RATE));
}

export function isOgg(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.toString('latin1', 0, 4) === 'OggS';
}
