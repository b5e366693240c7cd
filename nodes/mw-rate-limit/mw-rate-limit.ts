import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { problemContextOfMsg, responseOf, sendProblemToMsg, type HttpMessage } from '../../src/http/problem-msg';
import { migrateConfig } from '../../src/node-config/migrations';
import { rateLimitHeaders } from '../../src/ratelimit/headers';
import { policyFrom } from '../../src/ratelimit/policy';
import { principalKey } from '../../src/ratelimit/principal';
import { rateLimitProblem } from '../../src/ratelimit/problem';
import { consumeToken, type TokenBucketPolicy } from '../../src/ratelimit/token-bucket';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwRateLimitMigrations, type MwRateLimitDef } from './config';

type Send = (msg: Array<NodeMessageInFlow | null>) => void;

/**
 * Per-principal token bucket, shared by all middleware instances through PostgreSQL.
 * Allowed → output 1 (RateLimit-* headers set on the HTTP response, if any). Refused → 429
 * RATE_LIMITED problem with Retry-After when the message came from http in, and output 2 with
 * msg.rateLimit for flows that answer politely themselves (Telegram).
 */
export default function registerMwRateLimit(RED: NodeAPI): void {
  function MwRateLimit(this: Node, def: NodeDef & Partial<MwRateLimitDef>): void {
    RED.nodes.createNode(this, def);
    const config = migrateConfig<MwRateLimitDef>('mw-rate-limit', def as unknown as Record<string, unknown>, mwRateLimitMigrations);
    let policy: TokenBucketPolicy | undefined;
    let configError: string | undefined;
    try {
      policy = policyFrom(config.rate, config.per, config.burst);
    } catch (error) {
      configError = (error as Error).message;
      this.error(configError);
      this.status({ fill: 'red', shape: 'ring', text: RED._('mw-rate-limit.status.badConfig') });
    }
    let allowed = 0;
    let refused = 0;
    const counts = (): string => `✓ ${allowed}  ✗ ${refused}`;

    const keyOf = (msg: NodeMessageInFlow): string | undefined => {
      const req = (msg as HttpMessage).req as { ip?: unknown } | undefined;
      if (config.principalType === 'ip') return principalKey(config.keyPrefix, req?.ip, { hash: config.hashPrincipal });
      let value: unknown;
      try {
        value = RED.util.getMessageProperty(msg, config.principal);
      } catch {
        value = undefined; // a parent object is missing (e.g. no msg.req): no principal
      }
      const key = principalKey(config.keyPrefix, value, { hash: config.hashPrincipal });
      // An HTTP caller without the principal (no token yet) is limited by address, not let through.
      return key ?? principalKey(`${config.keyPrefix}ip:`, req?.ip);
    };

    this.on('input', (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
      if (configError || !policy) {
        done(new Error(configError));
        return;
      }
      const key = keyOf(msg);
      if (!key) {
        done(new Error(RED._('mw-rate-limit.errors.noPrincipal', { principal: config.principalType === 'ip' ? 'msg.req.ip' : `msg.${config.principal}` })));
        return;
      }
      let db;
      try {
        db = (RED.nodes.getNode(config.mwConfig) as MwConfigNode | null)?.services.db;
        if (!db) throw new Error(RED._('mw-rate-limit.errors.noConfig'));
      } catch (error) {
        this.status({ fill: 'red', shape: 'ring', text: RED._('mw-rate-limit.status.noDatabase') });
        done(error as Error);
        return;
      }
      consumeToken(db, key, policy).then(
        (decision) => {
          msg.rateLimit = { key, ...decision };
          if (decision.allowed) {
            allowed++;
            const res = responseOf(msg as HttpMessage);
            if (res && !res.headersSent) for (const [name, value] of Object.entries(rateLimitHeaders(decision))) res.set(name, value);
            this.status({ fill: 'green', shape: 'dot', text: counts() });
            send([msg, null]);
          } else {
            refused++;
            const problem = rateLimitProblem(decision, problemContextOfMsg(msg as HttpMessage));
            sendProblemToMsg(msg as HttpMessage, problem, rateLimitHeaders(decision));
            msg.problem = problem;
            this.status({ fill: 'yellow', shape: 'dot', text: counts() });
            send([null, msg]);
          }
          done();
        },
        (error: unknown) => {
          this.status({ fill: 'red', shape: 'ring', text: RED._('mw-rate-limit.status.dbError') });
          if (!config.failOpen) {
            done(error as Error);
            return;
          }
          // Fail open: a database hiccup must not turn into refusing every caller.
          this.warn(RED._('mw-rate-limit.warn.failOpen', { error: (error as Error).message }));
          msg.rateLimit = { key, allowed: true, unchecked: true };
          send([msg, null]);
          done();
        },
      );
    });
  }
  RED.nodes.registerType('mw-rate-limit', MwRateLimit as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
