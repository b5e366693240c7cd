import { createHmac, timingSafeEqual } from 'node:crypto';

/** A minimal JSON Web Token (RFC 7519) with HS256 only: enough for the shop's user tokens. */
export interface JwtClaims {
  sub?: string;
  iat?: number;
  exp?: number;
  [claim: string]: unknown;
}

export type JwtVerification = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function sign(input: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

export function signJwt(claims: JwtClaims, secret: string): string {
  const input = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${sign(input, secret).toString('base64url')}`;
}

/** Checks structure, algorithm (HS256 only: `none` and others are refused), signature and `exp`. */
export function verifyJwt(token: string, secret: string, nowSeconds: number): JwtVerification {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return { ok: false, reason: 'malformed token' };
  const [header, payload, signature] = parts;
  let parsedHeader: unknown;
  let claims: unknown;
  try {
    parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed token' };
  }
  if (!isObject(parsedHeader) || parsedHeader.alg !== 'HS256') return { ok: false, reason: 'unsupported algorithm' };
  const expected = sign(`${header}.${payload}`, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  if (!isObject(claims)) return { ok: false, reason: 'malformed claims' };
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return { ok: false, reason: 'token expired' };
  return { ok: true, claims: claims as JwtClaims };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
