import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from '../db/database';
import { isValidDeviceId } from './acl';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword, type ScryptParams } from './password-hash';

/**
 * Per-device MQTT credentials in PostgreSQL (`mqtt_devices`). Passwords are stored only as scrypt
 * hashes (see password-hash.ts).
 *
 * Why a verification cache: scrypt is deliberately expensive (~16 MiB and tens of milliseconds per
 * check, on libuv's small thread pool). When the broker restarts or a courier's phone flaps
 * between cells, every scanner reconnects at once, and each reconnect would pay a full scrypt;
 * a few hundred devices would then queue for seconds and the thread pool (shared with fs and DNS)
 * would be saturated. So a successful verification is remembered for a short time (30 s by
 * default), keyed by username and an HMAC of the password under a random per-process key (the
 * plaintext is never kept).
 *
 * The cache only skips scrypt, never the database: every verification still reads the device row
 * (one indexed lookup), and a cache hit requires the row to be enabled and to carry the very same
 * password hash as when the entry was made. Disabling a device or changing its password therefore
 * takes effect immediately, from this process or any other. Only successes are cached.
 *
 * Two more guards against reconnect storms and password guessing: concurrent checks of the same
 * username and password share one scrypt run, and at most `maxConcurrentHashes` scrypt runs are in
 * flight (the rest queue, up to `maxQueuedHashes`; beyond that `verify` throws
 * CredentialStoreBusyError, which the broker answers with "server unavailable" so the device
 * retries later). Unknown usernames are refused without hashing: usernames are device ids, which
 * are not secrets, so equalising timing would only hand an attacker a cheap way to burn CPU.
 */

export interface DeviceRecord {
  readonly deviceId: string;
  readonly username: string;
  readonly kind: string;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly createdAt: Date;
  readonly lastSeenAt: Date | null;
}

export interface NewDevice {
  readonly deviceId: string;
  /** Defaults to `deviceId`. */
  readonly username?: string;
  readonly password: string;
  /** Defaults to `scanner`. */
  readonly kind?: string;
  readonly description?: string | null;
  /** Defaults to true. */
  readonly enabled?: boolean;
}

export interface CredentialStoreStats {
  /** Verifications answered from the cache (no scrypt). */
  readonly cacheHits: number;
  /** scrypt runs started by `verify`. */
  readonly hashesComputed: number;
  /** Entries currently cached. */
  readonly cacheSize: number;
}

export interface DeviceCredentialStoreOptions {
  /** How long a successful verification is remembered. Default 30 000 ms; 0 disables the cache. */
  readonly cacheTtlMs?: number;
  /** Default 10 000 entries; the oldest is dropped first. */
  readonly cacheMaxEntries?: number;
  /** Cost of new hashes. Default DEFAULT_SCRYPT_PARAMS. */
  readonly hashParams?: ScryptParams;
  /** scrypt runs in flight at once during `verify`. Default 2 (libuv's pool has 4 threads). */
  readonly maxConcurrentHashes?: number;
  /** scrypt runs allowed to wait for a slot. Default 1000. */
  readonly maxQueuedHashes?: number;
  /** Clock for cache expiry (tests). */
  readonly now?: () => number;
}

export class DeviceCredentialError extends Error {
  override readonly name = 'DeviceCredentialError';
  constructor(
    readonly code: 'invalid' | 'duplicate',
    message: string,
  ) {
    super(message);
  }
}

/** Too many password checks are already waiting; the caller should answer "try again later". */
export class CredentialStoreBusyError extends Error {
  override readonly name = 'CredentialStoreBusyError';
}

const TABLE = 'mqtt_devices';
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;
const MAX_USERNAME_LENGTH = 128;
const KIND = /^[a-z][a-z0-9_-]{0,31}$/;
// Printable, no whitespace or control characters: usernames are typed into scanner settings.
const USERNAME = /^[\x21-\x7e\u00a0-\uffff]+$/;

interface DeviceRow {
  device_id: string;
  username: string;
  password_hash: string;
  kind: string;
  description: string | null;
  enabled: boolean;
  created_at: Date;
  last_seen_at: Date | null;
}

interface CacheEntry {
  readonly deviceId: string;
  readonly passwordHash: string;
  readonly secretDigest: Buffer;
  readonly expiresAt: number;
}

function toRecord(row: DeviceRow): DeviceRecord {
  return {
    deviceId: row.device_id,
    username: row.username,
    kind: row.kind,
    description: row.description,
    enabled: row.enabled,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

function checkPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new DeviceCredentialError('invalid', `password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** At most `max` tasks at once, at most `maxQueue` waiting. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly max: number,
    private readonly maxQueue: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) {
      if (this.waiting.length >= this.maxQueue) throw new CredentialStoreBusyError('too many password checks in progress');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** See the module comment. Construct once per process and share: the cache lives in the instance. */
export class DeviceCredentialStore {
  private readonly cacheTtlMs: number;
  private readonly cacheMaxEntries: number;
  private readonly hashParams: ScryptParams;
  private readonly now: () => number;
  private readonly limiter: Limiter;
  // Random per process: the cache holds HMACs of passwords, useless outside this process.
  private readonly cacheKey = randomBytes(32);
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private cacheHits = 0;
  private hashesComputed = 0;

  constructor(
    private readonly db: Knex,
    options: DeviceCredentialStoreOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 30_000;
    this.cacheMaxEntries = Math.max(1, options.cacheMaxEntries ?? 10_000);
    this.hashParams = options.hashParams ?? DEFAULT_SCRYPT_PARAMS;
    this.now = options.now ?? Date.now;
    this.limiter = new Limiter(Math.max(1, options.maxConcurrentHashes ?? 2), Math.max(0, options.maxQueuedHashes ?? 1000));
  }

  /** Adds a device; throws DeviceCredentialError (`invalid` or `duplicate`). */
  async createDevice(device: NewDevice): Promise<DeviceRecord> {
    const deviceId = device.deviceId;
    if (typeof deviceId !== 'string' || !isValidDeviceId(deviceId)) {
      throw new DeviceCredentialError(
        'invalid',
        `device id ${JSON.stringify(deviceId)} must be 1–64 characters of A–Z, a–z, 0–9, ".", "_", "-", starting with a letter or digit`,
      );
    }
    const username = device.username ?? deviceId;
    if (typeof username !== 'string' || username.length > MAX_USERNAME_LENGTH || !USERNAME.test(username)) {
      throw new DeviceCredentialError('invalid', `username must be 1–${MAX_USERNAME_LENGTH} printable characters without spaces`);
    }
    checkPassword(device.password);
    const kind = device.kind ?? 'scanner';
    if (typeof kind !== 'string' || !KIND.test(kind)) {
      throw new DeviceCredentialError('invalid', `kind ${JSON.stringify(kind)} must match ${KIND.source}`);
    }
    const description = device.description ?? null;
    if (description !== null && (typeof description !== 'string' || description.length > 500)) {
      throw new DeviceCredentialError('invalid', 'description must be at most 500 characters');
    }

    const passwordHash = await hashPassword(device.password, this.hashParams);
    try {
      const [row] = await this.db<DeviceRow>(TABLE)
        .insert({ device_id: deviceId, username, password_hash: passwordHash, kind, description, enabled: device.enabled ?? true })
        .returning('*');
      return toRecord(row as DeviceRow);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DeviceCredentialError('duplicate', `a device with id "${deviceId}" or username "${username}" already exists`);
      }
      throw error;
    }
  }

  /**
   * The device id when `username`/`password` belong to an enabled device, otherwise null.
   * Throws only when the check could not be made (database down, CredentialStoreBusyError).
   */
  async verify(username: string, password: string | Buffer): Promise<string | null> {
    if (typeof username !== 'string' || username.length === 0 || username.length > MAX_USERNAME_LENGTH) return null;
    const secret = Buffer.isBuffer(password) ? password.toString('utf8') : password;
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_PASSWORD_LENGTH) return null;

    const row = await this.findRow('username', username);
    if (!row || !row.enabled) return null;

    const digest = createHmac('sha256', this.cacheKey).update(secret, 'utf8').digest();
    const cached = this.cache.get(username);
    if (cached) {
      if (cached.expiresAt <= this.now()) {
        this.cache.delete(username);
      } else if (
        cached.deviceId === row.device_id &&
        cached.passwordHash === row.password_hash &&
        timingSafeEqual(cached.secretDigest, digest)
      ) {
        this.cacheHits++;
        return row.device_id;
      }
    }

    if (!(await this.checkHash(secret, row.password_hash, digest))) return null;
    this.remember(username, { deviceId: row.device_id, passwordHash: row.password_hash, secretDigest: digest, expiresAt: this.now() + this.cacheTtlMs });
    return row.device_id;
  }

  /** False when there is no such device. */
  async setEnabled(deviceId: string, enabled: boolean): Promise<boolean> {
    const updated = await this.db<DeviceRow>(TABLE).where('device_id', deviceId).update({ enabled });
    this.forgetDevice(deviceId);
    return updated > 0;
  }

  /** False when there is no such device. */
  async setPassword(deviceId: string, password: string): Promise<boolean> {
    checkPassword(password);
    const passwordHash = await hashPassword(password, this.hashParams);
    const updated = await this.db<DeviceRow>(TABLE).where('device_id', deviceId).update({ password_hash: passwordHash });
    this.forgetDevice(deviceId);
    return updated > 0;
  }

  async touchLastSeen(deviceId: string, at: Date = new Date()): Promise<void> {
    await this.db<DeviceRow>(TABLE).where('device_id', deviceId).update({ last_seen_at: at });
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    const row = await this.findRow('device_id', deviceId);
    return row ? toRecord(row) : undefined;
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const rows = await this.db<DeviceRow>(TABLE).select('*').orderBy('device_id');
    return rows.map((row) => toRecord(row as DeviceRow));
  }

  /** Forgets all cached verifications. */
  clearCache(): void {
    this.cache.clear();
  }

  stats(): CredentialStoreStats {
    return { cacheHits: this.cacheHits, hashesComputed: this.hashesComputed, cacheSize: this.cache.size };
  }

  private async findRow(column: 'device_id' | 'username', value: string): Promise<DeviceRow | undefined> {
    return this.db<DeviceRow>(TABLE).where(column, value).first();
  }

  private forgetDevice(deviceId: string): void {
    for (const [username, entry] of this.cache) if (entry.deviceId === deviceId) this.cache.delete(username);
  }

  private remember(username: string, entry: CacheEntry): void {
    if (this.cacheTtlMs <= 0) return;
    this.cache.delete(username); // re-insert at the end: Map order is the eviction order
    this.cache.set(username, entry);
    while (this.cache.size > this.cacheMaxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }

  private checkHash(password: string, passwordHash: string, digest: Buffer): Promise<boolean> {
    // Same password against the same stored hash: one scrypt run however many reconnects ask.
    const key = `${passwordHash}\u0000${digest.toString('base64')}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.limiter
        .run(() => {
          this.hashesComputed++;
          return verifyPassword(password, passwordHash);
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }
}
