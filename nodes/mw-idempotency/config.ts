import type { ConfigMigration } from '../../src/node-config/migrations';

/** Editor-facing config of the `mw-idempotency` node, as stored in flows/. */
export interface MwIdempotencyDef {
  id: string;
  type: 'mw-idempotency';
  name: string;
  mwConfig: string;
  /** How long a key is remembered (published in the API docs: 72 h). */
  ttlHours: number;
  /** How long an execution may take before a retry may take the key over (crash recovery). */
  leaseSeconds: number;
  /** msg property holding the caller's identity, e.g. req.headers.x-user-token or req.ip. */
  principalProperty: string;
  /** Store a SHA-256 of the principal instead of the value (always for tokens). */
  hashPrincipal: boolean;
  /** Response headers stored and replayed besides Content-Type, comma-separated. */
  storeHeaders: string;
  version: number;
}

export const MW_IDEMPOTENCY_VERSION = 1;
export const IDEMPOTENCY_LIMITS = { ttlHours: { min: 1, max: 24 * 30 }, leaseSeconds: { min: 1, max: 3600 } } as const;

function clampNumber(value: unknown, fallback: number, min: number, max: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.min(max, Math.max(min, n)) : fallback;
}

/** v0 (unversioned) is a node dropped from the palette before defaults existed. */
export const mwIdempotencyMigrations: readonly ConfigMigration<MwIdempotencyDef>[] = [
  {
    to: 1,
    up: (c) => ({
      ...c,
      ttlHours: c.ttlHours ?? 72,
      leaseSeconds: c.leaseSeconds ?? 60,
      principalProperty: c.principalProperty || 'req.headers.x-user-token',
      hashPrincipal: c.hashPrincipal ?? true,
      storeHeaders: c.storeHeaders ?? 'Location, ETag',
    }),
  },
];

/** Values the runtime uses: numbers checked, lease kept well below the TTL. */
export function runtimeSettings(c: MwIdempotencyDef): { ttlMs: number; leaseMs: number; principalProperty: string; hashPrincipal: boolean; storeHeaders: string } {
  const ttlHours = clampNumber(c.ttlHours, 72, IDEMPOTENCY_LIMITS.ttlHours.min, IDEMPOTENCY_LIMITS.ttlHours.max);
  const leaseSeconds = clampNumber(c.leaseSeconds, 60, IDEMPOTENCY_LIMITS.leaseSeconds.min, IDEMPOTENCY_LIMITS.leaseSeconds.max);
  return {
    ttlMs: ttlHours * 3600_000,
    // A lease as long as the TTL would let a key expire while its execution still runs.
    leaseMs: Math.min(leaseSeconds * 1000, (ttlHours * 3600_000) / 2),
    principalProperty: String(c.principalProperty || 'req.headers.x-user-token').replace(/^msg\./, ''),
    hashPrincipal: c.hashPrincipal !== false,
    storeHeaders: String(c.storeHeaders ?? ''),
  };
}
