import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { problemFromCode } from '../http/problem-builder';
import { sendProblem } from '../http/problem';
import { correlationIdOf } from '../http/correlation';
import { readOrCreateSecret } from '../runtime/secret-file';

export interface OpsToken {
  readonly token: string;
  /** Set when the token was generated on this start, so it can be shown once. */
  readonly generated: boolean;
}

/** OPS_API_TOKEN when configured; otherwise one generated on first start and kept in the data folder. */
export async function resolveOpsToken(dataDir: string, configured?: string): Promise<OpsToken> {
  if (configured) return { token: configured, generated: false };
  const { secret, generated } = await readOrCreateSecret(dataDir, 'ops-token', { bytes: 24, encoding: 'base64url', hint: 'delete it or set OPS_API_TOKEN' });
  return { token: secret, generated };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Bearer token check for the ops endpoints; compared in constant time. */
export function requireOpsToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const presented = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (presented && timingSafeEqual(digest(presented), expected)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="ops"');
    sendProblem(
      res,
      problemFromCode('UNAUTHORIZED', {
        detail: presented ? 'the ops API token is not valid' : 'send the ops API token as "Authorization: Bearer …"',
        instance: req.originalUrl.split('?')[0],
        correlationId: correlationIdOf(req),
      }),
    );
  };
}
