import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SttAudioTooLargeError, SttDownloadError } from './errors';

/** Telegram's Bot API serves files up to 20 MB: nothing bigger can be a voice note. */
export const DEFAULT_MAX_AUDIO_BYTES = 20 * 1024 * 1024;

export interface DownloadedAudio {
  readonly data: Buffer;
  /** Last path segment of the URL or file (`file_3.oga`). */
  readonly fileName: string;
}

export interface DownloadOptions {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
}

/** Only the host: a Telegram file URL carries the bot token in its path. */
function hostOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function lastSegment(pathname: string): string {
  const segment = pathname.split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Downloads a voice note over http(s) (the telegram receiver's `msg.payload.weblink`) with a
 * timeout and a size cap. Error messages name the host only, never the path with the token.
 */
export async function downloadAudio(rawUrl: string, options: DownloadOptions = {}): Promise<DownloadedAudio> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new SttDownloadError('the audio URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SttDownloadError(`audio URLs must be http(s), got ${url.protocol}`);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_AUDIO_BYTES;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    throw new SttDownloadError(
      timeout.aborted ? `no audio from ${hostOf(url)} within ${timeoutMs} ms` : `cannot download the audio from ${hostOf(url)}${typeof code === 'string' ? ` (${code})` : ''}`,
      { retryable: true, cause: error },
    );
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new SttDownloadError(`downloading the audio from ${hostOf(url)} answered ${response.status}`, { httpStatus: response.status, retryable: response.status >= 500 || response.status === 429 });
  }
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new SttAudioTooLargeError(`the audio is ${declared} bytes, over the ${maxBytes} bytes download limit`, declared, maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          await response.body.cancel().catch(() => undefined);
          throw new SttAudioTooLargeError(`the audio is over the ${maxBytes} bytes download limit`, size, maxBytes);
        }
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch (error) {
    if (error instanceof SttAudioTooLargeError) throw error;
    throw new SttDownloadError(`the audio download from ${hostOf(url)} broke off`, { retryable: true, cause: error });
  }
  return { data: Buffer.concat(chunks), fileName: lastSegment(url.pathname) };
}

/** Reads a voice note saved on disk (the telegram receiver's `msg.payload.path` with a download folder). */
export async function readAudioFile(filePath: string, options: { maxBytes?: number } = {}): Promise<DownloadedAudio> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_AUDIO_BYTES;
  let stat;
  try {
    stat = await fs.stat(filePath);
  } catch (error) {
    throw new SttDownloadError(`cannot read the audio file ${path.basename(filePath)}`, { cause: error });
  }
  if (!stat.isFile()) throw new SttDownloadError(`${path.basename(filePath)} is not a file`);
  if (stat.size > maxBytes) throw new SttAudioTooLargeError(`the audio file is ${stat.size} bytes, over the ${maxBytes} bytes limit`, stat.size, maxBytes);
  return { data: await fs.readFile(filePath), fileName: path.basename(filePath) };
}
