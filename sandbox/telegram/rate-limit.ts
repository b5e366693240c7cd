/**
 * Telegram's flood limits as token buckets: about one message a second per chat with a short
 * burst allowed, about 30 a second over all chats, and 20 a minute in a group. A refused call gets
 * `429 Too Many Requests: retry after N` with `parameters.retry_after = N` (seconds). A limit of
 * 0 (or Infinity) switches that bucket off.
 */
export interface RateLimits {
  /** Sustained messages a second into one chat (Telegram: ≈1). */
  maxPerChatPerSecond: number;
  /** How many messages one chat may take at once before the per-chat rate applies. */
  burstPerChat: number;
  /** Messages a second over all chats (Telegram: ≈30), also the burst. */
  maxGlobalPerSecond: number;
  /** Messages a minute into one group or supergroup (Telegram: 20). */
  maxPerGroupPerMinute: number;
}

export const DEFAULT_LIMITS: RateLimits = {
  maxPerChatPerSecond: 1,
  burstPerChat: 3,
  maxGlobalPerSecond: 30,
  maxPerGroupPerMinute: 20,
};

interface Bucket {
  tokens: number;
  at: number;
}

const enabled = (n: number): boolean => Number.isFinite(n) && n > 0;

export class RateLimiter {
  private readonly chats = new Map<string, Bucket>();
  private readonly groups = new Map<string, Bucket>();
  private global: Bucket | undefined;
  /** How many calls each limit refused, for tests and the control API. */
  readonly refused = { chat: 0, group: 0, global: 0 };

  constructor(
    public limits: RateLimits,
    private readonly now: () => number,
  ) {}

  setLimits(patch: Partial<RateLimits>): RateLimits {
    this.limits = { ...this.limits, ...patch };
    this.reset();
    return this.limits;
  }

  reset(): void {
    this.chats.clear();
    this.groups.clear();
    this.global = undefined;
    this.refused.chat = this.refused.group = this.refused.global = 0;
  }

  /**
   * Takes one message from the chat's and the global bucket, or, when one of them is empty,
   * takes nothing and returns the seconds to wait.
   */
  take(chatKey: string, isGroup: boolean): number | undefined {
    const now = this.now();
    const { maxPerChatPerSecond, burstPerChat, maxGlobalPerSecond, maxPerGroupPerMinute } = this.limits;
    const checks: Array<{ bucket: Bucket; rate: number; kind: 'chat' | 'group' | 'global' }> = [];
    if (enabled(maxGlobalPerSecond)) {
      this.global ??= { tokens: maxGlobalPerSecond, at: now };
      checks.push({ bucket: refill(this.global, maxGlobalPerSecond, maxGlobalPerSecond, now), rate: maxGlobalPerSecond, kind: 'global' });
    }
    if (enabled(maxPerChatPerSecond)) {
      const capacity = Math.max(1, burstPerChat);
      const bucket = this.chats.get(chatKey) ?? { tokens: capacity, at: now };
      this.chats.set(chatKey, bucket);
      checks.push({ bucket: refill(bucket, capacity, maxPerChatPerSecond, now), rate: maxPerChatPerSecond, kind: 'chat' });
    }
    if (isGroup && enabled(maxPerGroupPerMinute)) {
      const bucket = this.groups.get(chatKey) ?? { tokens: maxPerGroupPerMinute, at: now };
      this.groups.set(chatKey, bucket);
      checks.push({ bucket: refill(bucket, maxPerGroupPerMinute, maxPerGroupPerMinute / 60, now), rate: maxPerGroupPerMinute / 60, kind: 'group' });
    }
    let wait = 0;
    for (const check of checks) {
      if (check.bucket.tokens < 1) {
        wait = Math.max(wait, Math.ceil((1 - check.bucket.tokens) / check.rate));
        this.refused[check.kind]++;
      }
    }
    if (wait > 0) return wait;
    for (const check of checks) check.bucket.tokens -= 1;
    return undefined;
  }
}

function refill(bucket: Bucket, capacity: number, ratePerSecond: number, now: number): Bucket {
  const elapsed = Math.max(0, now - bucket.at) / 1000;
  bucket.tokens = Math.min(capacity, bucket.tokens + elapsed * ratePerSecond);
  bucket.at = now;
  return bucket;
}
