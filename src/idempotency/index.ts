export { IDEMPOTENCY_KEY_HEADER, MAX_KEY_LENGTH, parseIdempotencyKey, type KeyParseResult } from './key';
export { canonicalJson, hashPrincipal, requestFingerprint, sha256Hex, type RequestIdentity } from './fingerprint';
export {
  begin,
  complete,
  DEFAULT_LEASE_MS,
  DEFAULT_TTL_MS,
  purgeExpired,
  release,
  type BeginInput,
  type BeginResult,
  type CompleteInput,
  type CompleteResult,
  type ReleaseInput,
  type StoredResponse,
} from './store';
export { idempotencyProblem, type IdempotencyProblemCode, type ProblemContext } from './problems';
export {
  ANONYMOUS_PRINCIPAL,
  gateRequest,
  sideEffectKey,
  normaliseHeaderList,
  principalOf,
  type GateDecision,
  type GateOptions,
  type GateRequest,
  type IdempotencyContext,
} from './gate';
export {
  buildResponse,
  DEFAULT_RELEASE_STATUSES,
  REPLAYED_HEADER,
  respond,
  storableResponse,
  writeReplay,
  writeResponse,
  type OutgoingResponse,
  type RespondOptions,
  type RespondOutcome,
  type ResponseInput,
} from './response';
export { idempotencyContextOf, idempotencyMiddleware, sendIdempotent, type IdempotencyMiddlewareOptions } from './express';
