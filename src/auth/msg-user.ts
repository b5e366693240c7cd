import { inspect } from 'node:util';

/**
 * msg.user as the mw-auth node sets it. The decrypted shop token lives only in memory: this
 * object serialises (JSON.stringify, the Debug sidebar, the journal, an http response, a
 * context store) and prints (util.inspect, logs) WITHOUT it. Node-RED's message cloning keeps
 * the class, so the token survives fan-out to several wires but not a trip through storage.
 * A flow that needs the token after such a trip looks it up again by telegramUserId.
 */
export class MsgUser {
  readonly telegramUserId: number | undefined;
  /** A shop account is linked and its token is usable. */
  readonly linked: boolean;
  // `declare`: optional members are set only when present (no own `undefined` properties).
  declare readonly shopUserId?: string;
  /** The shop's user token for `X-User-Token`; absent when not linked. */
  declare readonly shopToken?: string;
  /** Telegram mode: the link could not be read (database down, key missing); treat as not linked. */
  declare readonly lookupFailed?: boolean;

  constructor(fields: { telegramUserId: number | undefined; linked: boolean; shopUserId?: string; shopToken?: string; lookupFailed?: boolean }) {
    this.telegramUserId = fields.telegramUserId;
    this.linked = fields.linked;
    const self = this as { -readonly [K in keyof MsgUser]: MsgUser[K] };
    if (fields.shopUserId !== undefined) self.shopUserId = fields.shopUserId;
    if (fields.shopToken !== undefined) self.shopToken = fields.shopToken;
    if (fields.lookupFailed) self.lookupFailed = true;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { telegramUserId: this.telegramUserId, linked: this.linked };
    if (this.shopUserId !== undefined) out.shopUserId = this.shopUserId;
    if (this.shopToken !== undefined) out.shopToken = '[hidden]';
    if (this.lookupFailed) out.lookupFailed = true;
    return out;
  }

  [inspect.custom](): Record<string, unknown> {
    return this.toJSON();
  }
}

/** msg.principal values: what rate limits and idempotency keys are scoped by. */
export const principalFor = {
  telegram: (id: number): string => `tg:${id}`,
  apiKey: (name: string): string => `key:${name}`,
  ip: (ip: unknown): string => (typeof ip === 'string' && ip ? `ip:${ip}` : 'anonymous'),
};
