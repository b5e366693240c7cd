import type { Request } from 'express';

export interface RawBody {
  /** Up to `keepBytes` of the body. */
  readonly data: Buffer;
  /** Every byte the client sent (also those not kept). */
  readonly total: number;
}

/**
 * Reads the request body, keeping at most `keepBytes` but draining the rest (up to `hardCap`,
 * beyond which the connection is cut) so an over-limit upload still gets a proper answer.
 */
export function readRawBody(req: Request, keepBytes: number, hardCap = 64 * 1024 * 1024): Promise<RawBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > hardCap) {
        req.destroy();
        reject(new Error('body over the hard cap'));
        return;
      }
      if (kept < keepBytes) {
        const part = chunk.subarray(0, keepBytes - kept);
        chunks.push(part);
        kept += part.length;
      }
    });
    req.on('end', () => resolve({ data: Buffer.concat(chunks), total }));
    req.on('error', reject);
  });
}
