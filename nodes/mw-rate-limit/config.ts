import type { ConfigMigration } from '../../src/node-config/migrations';
import type { RatePeriod } from '../../src/ratelimit/policy';

/** Editor-facing config of the `mw-rate-limit` node, as stored in flows/. */
export interface MwRateLimitDef {
  id: string;
  type: 'mw-rate-limit';
  name: string;
  /** The mw-config node that gives the database the buckets live in. */
  mwConfig: string;
  /** Sustained rate: `rate` requests per `per`. */
  rate: number;
  per: RatePeriod;
  /** Requests allowed at once after a quiet period. */
  burst: number;
  /** Who is limited: the client IP (msg.req.ip) or a msg property (user id, token, device id). */
  principalType: 'ip' | 'msg';
  principal: string;
  /** Bucket key prefix; nodes with the same prefix and policy share a principal's budget. */
  keyPrefix: string;
  /** Store a hash of the principal (for tokens and other secrets). */
  hashPrincipal: boolean;
  /** When the database fails, let requests through (true) or fail the message to a Catch node. */
  failOpen: boolean;
  version: number;
}

export const MW_RATE_LIMIT_CONFIG_VERSION = 1;

export const mwRateLimitMigrations: readonly ConfigMigration<MwRateLimitDef>[] = [
  {
    to: 1,
    up: (c) => ({
      ...c,
      rate: Number(c.rate ?? 60),
      per: c.per ?? 'minute',
      burst: Number(c.burst ?? 20),
      principalType: c.principalType === 'msg' ? 'msg' : 'ip',
      principal: typeof c.principal === 'string' ? c.principal : '',
      keyPrefix: typeof c.keyPrefix === 'string' ? c.keyPrefix : c.principalType === 'msg' ? '' : 'ip:',
      hashPrincipal: c.hashPrincipal === true,
      failOpen: c.failOpen !== false,
    }),
  },
];
