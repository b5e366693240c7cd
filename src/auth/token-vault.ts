import type { Knex } from 'knex';
import { TokenDecryptError, TokenKeyRing } from './token-keys';

export { TokenDecryptError, TokenKeyRing, resolveTokenKey } from './token-keys';

/**
 * The link between a Telegram user and their web-shop account, with the shop's user token (JWT)
 * encrypted at rest (see token-keys.ts). Personal data kept: the first name (to greet) and the
 * username (for a manager to reach the master); the last name and photo the widget also sends
 * are not stored. unlink() deletes the whole row (and, by the foreign key, the user's API sessions).
 */
export const USER_LINKS_TABLE = 'user_links';

export interface LinkUserInput {
  readonly telegramUserId: number;
  readonly shopUserId: string | number;
  /** The shop's user token (plaintext, only in memory). */
  readonly token: string;
  /** When the shop token expires; when absent it is read from the JWT's `exp`, if any. */
  readonly expiresAt?: Date | string | null;
  readonly firstName?: string | null;
  readonly username?: string | null;
}

/** A link without its token. */
export interface UserLink {
  readonly telegramUserId: number;
  readonly shopUserId: string;
  readonly tokenExpiresAt: Date | null;
  readonly firstName: string | null;
  readonly username: string | null;
  readonly linkedAt: Date;
  readonly updatedAt: Date;
}

export interface ShopCredentials {
  readonly telegramUserId: number;
  readonly shopUserId: string;
  readonly shopToken: string;
  readonly tokenExpiresAt: Date | null;
}

export interface TokenVaultOptions {
  readonly now?: () => Date;
  /** A token that expires within this many seconds counts as expired already (default 60). */
  readonly expiryMarginSeconds?: number;
  /** Told when a stale value (older key) is re-encrypted on read, or that fails. */
  readonly onRotateError?: (error: unknown) => void;
}

interface UserLinkRow {
  telegram_user_id: string | number;
  shop_user_id: string;
  token_ciphertext: string;
  token_expires_at: Date | null;
  first_name: string | null;
  username: string | null;
  linked_at: Date;
  updated_at: Date;
}

const MAX_NAME = 64;
const MAX_USERNAME = 32;

/** The AAD of a user's token: a value only decrypts on the row of the user it was written for. */
export function tokenAad(telegramUserId: number): string {
  return `user_links.token:${telegramUserId}`;
}

export function checkTelegramUserId(value: unknown): number {
  const n = typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) throw new TypeError(`not a Telegram user id: ${String(value)}`);
  return n;
}

/** `exp` of a JWT, read without verifying it (the shop verifies its own tokens; we only need the date). */
export function jwtExpiry(token: string): Date | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? new Date(claims.exp * 1000) : null;
  } catch {
    return null;
  }
}

function toDate(value: Date | string | null | undefined): Date | null {
  if (value === undefined || value === null || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new TypeError(`not a date: ${String(value)}`);
  return d;
}

function clip(value: string | null | undefined, max: number): string | null {
  if (typeof value !== 'string' || value === '') return null;
  // Strip control characters: these land in bot messages and manager tasks.
  const clean = value.replace(/[\u0000-\u001F\u007F]/g, '').trim();
  return clean ? Array.from(clean).slice(0, max).join('') : null;
}

function toLink(row: UserLinkRow): UserLink {
  return {
    telegramUserId: Number(row.telegram_user_id),
    shopUserId: row.shop_user_id,
    tokenExpiresAt: row.token_expires_at,
    firstName: row.first_name,
    username: row.username,
    linkedAt: row.linked_at,
    updatedAt: row.updated_at,
  };
}

export class TokenVault {
  private readonly now: () => Date;
  private readonly marginMs: number;

  constructor(
    private readonly db: Knex,
    readonly keys: TokenKeyRing,
    private readonly options: TokenVaultOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.marginMs = (options.expiryMarginSeconds ?? 60) * 1000;
  }

  /** Creates or replaces the link; the token is encrypted with the current key before it leaves memory. */
  async linkUser(input: LinkUserInput): Promise<UserLink> {
    const telegramUserId = checkTelegramUserId(input.telegramUserId);
    if (typeof input.token !== 'string' || input.token === '') throw new TypeError('linkUser: the shop token is empty');
    const shopUserId = String(input.shopUserId ?? '').trim();
    if (!shopUserId) throw new TypeError('linkUser: the shop user id is empty');
    const expiresAt = input.expiresAt === undefined ? jwtExpiry(input.token) : toDate(input.expiresAt);
    const now = this.now();
    const row = {
      telegram_user_id: telegramUserId,
      shop_user_id: shopUserId,
      token_ciphertext: this.keys.encrypt(input.token, tokenAad(telegramUserId)),
      token_expires_at: expiresAt,
      first_name: clip(input.firstName, MAX_NAME),
      username: clip(input.username, MAX_USERNAME),
      linked_at: now,
      updated_at: now,
    };
    const [saved] = (await this.db(USER_LINKS_TABLE)
      .insert(row)
      .onConflict('telegram_user_id')
      // linked_at stays the first link's time; everything else is the latest login's.
      .merge(['shop_user_id', 'token_ciphertext', 'token_expires_at', 'first_name', 'username', 'updated_at'])
      .returning('*')) as UserLinkRow[];
    return toLink(saved);
  }

  async getLink(telegramUserId: number): Promise<UserLink | undefined> {
    const row = (await this.db(USER_LINKS_TABLE).where({ telegram_user_id: checkTelegramUserId(telegramUserId) }).first()) as UserLinkRow | undefined;
    return row ? toLink(row) : undefined;
  }

  /** The Telegram user linked to a shop account (status notifications from the shop's change feeds). */
  async findByShopUser(shopUserId: string | number): Promise<UserLink | undefined> {
    const row = (await this.db(USER_LINKS_TABLE).where({ shop_user_id: String(shopUserId) }).orderBy('updated_at', 'desc').first()) as UserLinkRow | undefined;
    return row ? toLink(row) : undefined;
  }

  /**
   * The decrypted shop credentials, or undefined when the user is not linked or the token has
   * expired (the user logs in with Telegram again). Throws TokenDecryptError when the value cannot
   * be decrypted with the configured keys: that is a configuration problem, not "not linked".
   */
  async getShopCredentials(telegramUserId: number): Promise<ShopCredentials | undefined> {
    const id = checkTelegramUserId(telegramUserId);
    const row = (await this.db(USER_LINKS_TABLE)
      .select('telegram_user_id', 'shop_user_id', 'token_ciphertext', 'token_expires_at')
      .where({ telegram_user_id: id })
      .first()) as Pick<UserLinkRow, 'telegram_user_id' | 'shop_user_id' | 'token_ciphertext' | 'token_expires_at'> | undefined;
    if (!row) return undefined;
    return this.credentialsFromRow(id, row.shop_user_id, row.token_ciphertext, row.token_expires_at);
  }

  /** The plaintext shop token, or undefined (not linked, or expired). */
  async getShopToken(telegramUserId: number): Promise<string | undefined> {
    return (await this.getShopCredentials(telegramUserId))?.shopToken;
  }

  /**
   * Decrypts a row read elsewhere (the session join); expired → undefined. A value written with
   * an older key is re-encrypted with the current one in the background.
   */
  credentialsFromRow(telegramUserId: number, shopUserId: string, ciphertext: string, expiresAt: Date | null): ShopCredentials | undefined {
    if (expiresAt && expiresAt.getTime() - this.marginMs <= this.now().getTime()) return undefined;
    const decrypted = this.keys.decrypt(ciphertext, tokenAad(telegramUserId));
    if (decrypted.stale) {
      this.reencrypt(telegramUserId, ciphertext, decrypted.plaintext).catch((error: unknown) => this.options.onRotateError?.(error));
    }
    return { telegramUserId, shopUserId, shopToken: decrypted.plaintext, tokenExpiresAt: expiresAt };
  }

  /** Forgets the user: the link, the encrypted token and (cascade) their API sessions. */
  async unlink(telegramUserId: number): Promise<boolean> {
    const deleted = await this.db(USER_LINKS_TABLE).where({ telegram_user_id: checkTelegramUserId(telegramUserId) }).delete();
    return deleted > 0;
  }

  /**
   * Re-encrypts every value not written with the current key, in batches. Values that no
   * configured key opens are counted as failed and left alone (they still expire or get
   * replaced at the next login). Safe to run while the service is up: each row is updated only
   * if it did not change in between.
   */
  async rotateTokens(options: { batchSize?: number } = {}): Promise<{ reencrypted: number; failed: number }> {
    const batchSize = options.batchSize ?? 500;
    const prefix = `v1:${this.keys.current.id}:`;
    let reencrypted = 0;
    let failed = 0;
    let after = 0;
    for (;;) {
      const rows = (await this.db(USER_LINKS_TABLE)
        .select('telegram_user_id', 'token_ciphertext')
        .whereRaw('left(token_ciphertext, ?) <> ?', [prefix.length, prefix])
        .andWhere('telegram_user_id', '>', after)
        .orderBy('telegram_user_id')
        .limit(batchSize)) as Pick<UserLinkRow, 'telegram_user_id' | 'token_ciphertext'>[];
      if (!rows.length) break;
      for (const row of rows) {
        const id = Number(row.telegram_user_id);
        after = id;
        let plaintext: string;
        try {
          plaintext = this.keys.decrypt(row.token_ciphertext, tokenAad(id)).plaintext;
        } catch (error) {
          if (!(error instanceof TokenDecryptError)) throw error;
          failed++;
          continue;
        }
        if (await this.reencrypt(id, row.token_ciphertext, plaintext)) reencrypted++;
      }
      if (rows.length < batchSize) break;
    }
    return { reencrypted, failed };
  }

  private async reencrypt(telegramUserId: number, oldCiphertext: string, plaintext: string): Promise<boolean> {
    const updated = await this.db(USER_LINKS_TABLE)
      .where({ telegram_user_id: telegramUserId, token_ciphertext: oldCiphertext })
      .update({ token_ciphertext: this.keys.encrypt(plaintext, tokenAad(telegramUserId)) });
    return updated > 0;
  }
}
