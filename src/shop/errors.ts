import { problemFromCode } from '../http/problem-builder';
import type { ProblemDetails } from '../http/problem';
import type { ProblemCode } from '../http/problem-catalogue';

/**
 * Errors of shop calls, in two kinds flows branch on:
 *  - ShopUnavailableError: the shop did not answer usefully (network, timeout, 5xx, 429, a
 *    non-JSON answer, or our circuit breaker is open). Safe to retry later / degrade.
 *  - ShopBusinessError: the shop answered and refused (a Bitrix `{error, error_description}`
 *    with a 4xx). Retrying the same call gives the same answer; it goes to the user or a human.
 *
 * Node bundles carry their own copies of these classes (esbuild bundles src/ into every node),
 * so never test them with `instanceof` across module boundaries: use isShopUnavailable /
 * isShopBusinessError, which read the `shopErrorKind` brand.
 */
export type ShopErrorKind = 'unavailable' | 'business';

export type UnavailableReason = 'network' | 'timeout' | 'http_status' | 'rate_limited' | 'breaker_open' | 'bad_response';

export abstract class ShopError extends Error {
  abstract readonly shopErrorKind: ShopErrorKind;
  /** Bitrix method, e.g. `sale.order.create`. */
  readonly method: string;
  readonly httpStatus: number | undefined;
  /** The shop's `error` code when it sent one. */
  readonly shopCode: string | undefined;

  protected constructor(message: string, method: string, httpStatus: number | undefined, shopCode: string | undefined, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.method = method;
    this.httpStatus = httpStatus;
    this.shopCode = shopCode;
  }

  /** The catalogue problem code this error maps to. */
  abstract get problemCode(): ProblemCode;

  /** RFC 9457 problem for msg.problem / API answers; the description of the shop is not exposed. */
  abstract toProblem(options?: { correlationId?: string; instance?: string }): ProblemDetails;
}

export class ShopUnavailableError extends ShopError {
  override readonly name = 'ShopUnavailableError';
  readonly shopErrorKind = 'unavailable' as const;
  readonly reason: UnavailableReason;
  /** From Retry-After on 429/503, when the shop sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    method: string,
    reason: UnavailableReason,
    message: string,
    details: { httpStatus?: number; shopCode?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, method, details.httpStatus, details.shopCode, details.cause);
    this.reason = reason;
    this.retryAfterMs = details.retryAfterMs;
  }

  get problemCode(): ProblemCode {
    return this.reason === 'timeout' ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNAVAILABLE';
  }

  toProblem(options: { correlationId?: string; instance?: string } = {}): ProblemDetails {
    const detail =
      this.reason === 'breaker_open'
        ? 'The web shop is failing; calls are paused for a while. Retry later.'
        : this.reason === 'timeout'
          ? 'The web shop did not answer in time. Retry later.'
          : 'The web shop is not reachable right now. Retry later.';
    return problemFromCode(this.problemCode, {
      ...options,
      detail,
      extra: {
        upstream: 'shop',
        reason: this.reason,
        upstream_status: this.httpStatus,
        retry_after: this.retryAfterMs === undefined ? undefined : Math.ceil(this.retryAfterMs / 1000),
      },
    });
  }
}

/** Bitrix codes with a more specific problem code than UPSTREAM_BUSINESS_ERROR. */
const PROBLEM_BY_SHOP_CODE: Readonly<Record<string, ProblemCode>> = {
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  PRODUCT_NOT_AVAILABLE: 'OUT_OF_STOCK',
  INVALID_TOKEN: 'UNAUTHORIZED',
  INVALID_HASH: 'UNAUTHORIZED',
  AUTH_DATE_EXPIRED: 'UNAUTHORIZED',
  PRODUCT_NOT_FOUND: 'NOT_FOUND',
  BASKET_ITEM_NOT_FOUND: 'NOT_FOUND',
  ORDER_NOT_FOUND: 'NOT_FOUND',
  ORDER_ITEM_NOT_FOUND: 'NOT_FOUND',
  RETURN_NOT_FOUND: 'NOT_FOUND',
  ORDER_CANNOT_BE_CANCELLED: 'CONFLICT',
  ORDER_CANCELLED: 'CONFLICT',
  ORDER_NOT_DELIVERED: 'CONFLICT',
  PAYMENT_NOT_REQUIRED: 'CONFLICT',
  RETURN_ALREADY_EXISTS: 'CONFLICT',
  RETURN_QUANTITY_EXCEEDED: 'CONFLICT',
};

export class ShopBusinessError extends ShopError {
  override readonly name = 'ShopBusinessError';
  readonly shopErrorKind = 'business' as const;
  declare readonly shopCode: string;
  /** The shop's error_description: for logs and the journal, never for end users. */
  readonly description: string;

  constructor(method: string, httpStatus: number, shopCode: string, description: string) {
    super(`${method}: ${shopCode} (${httpStatus}) ${description}`.trim(), method, httpStatus, shopCode);
    this.description = description;
  }

  get problemCode(): ProblemCode {
    return PROBLEM_BY_SHOP_CODE[this.shopCode] ?? 'UPSTREAM_BUSINESS_ERROR';
  }

  toProblem(options: { correlationId?: string; instance?: string } = {}): ProblemDetails {
    return problemFromCode(this.problemCode, {
      ...options,
      detail: `The web shop refused ${this.method}: ${this.shopCode}`,
      extra: { upstream: 'shop', shop_error: this.shopCode, upstream_status: this.httpStatus },
    });
  }
}

/** The problem code a Bitrix error code maps to (OUT_OF_STOCK, UNAUTHORIZED, NOT_FOUND, CONFLICT, UPSTREAM_BUSINESS_ERROR). */
export function problemCodeForShopError(shopCode: string): ProblemCode {
  return PROBLEM_BY_SHOP_CODE[shopCode] ?? 'UPSTREAM_BUSINESS_ERROR';
}

function kindOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { shopErrorKind?: unknown }).shopErrorKind : undefined;
}

export function isShopError(error: unknown): error is ShopError {
  const kind = kindOf(error);
  return kind === 'unavailable' || kind === 'business';
}

export function isShopUnavailable(error: unknown): error is ShopUnavailableError {
  return kindOf(error) === 'unavailable';
}

export function isShopBusinessError(error: unknown): error is ShopBusinessError {
  return kindOf(error) === 'business';
}
