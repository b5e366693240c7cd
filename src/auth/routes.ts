import { Router, type Request, type RequestHandler, type Response } from 'express';
import { jsonBodyParser } from '../http/errors-handler';
import { problemFromCode, problemFromError, sendProblem } from '../http/problem';
import { problemContextOf } from '../http/problem-request';
import type { Logger } from '../log';
import { rateLimitMiddleware } from '../ratelimit/express';
import type { TokenBucketPolicy } from '../ratelimit/token-bucket';
import { policyFrom } from '../ratelimit/policy';
import { registerOperation } from '../validation/openapi';
import { validate } from '../validation/validate';
import { validationProblem } from '../validation/validation-problem';
import { bearerToken } from './api-keys';
import { loginWithTelegram, type ShopLoginExchange } from './login-service';
import type { AuthRuntime } from './runtime';

export const AUTH_TELEGRAM_PATH = '/api/v1/auth/telegram';
export const AUTH_SESSION_PATH = '/api/v1/auth/session';
export const AUTH_LINK_PATH = '/api/v1/auth/link';

export interface DescribeAuthOptions {
  /**
   * The security scheme (components.securitySchemes of contracts/openapi-base.json) that stands
   * for the middleware's access token. Default `apiToken` (HTTP bearer); a dedicated
   * `sessionToken` bearer scheme is clearer once the base document has one.
   */
  readonly sessionScheme?: string;
}

/**
 * The OpenAPI description of the auth endpoints (served at /api/v1/openapi.json). Safe to call
 * more than once.
 *
 * The login is not behind Idempotency-Key, deliberately: it is naturally safe to retry (linking is
 * an upsert, each retry just gets a fresh token), and storing its response for replay would put
 * a live bearer token into the idempotency table in plain text.
 */
export function describeAuthOperations(options: DescribeAuthOptions = {}): void {
  const session = [options.sessionScheme ?? 'apiToken'];
  registerOperation({
    method: 'post',
    path: AUTH_TELEGRAM_PATH,
    operationId: 'loginWithTelegram',
    summary: 'Log in with Telegram Login Widget data; returns the middleware access token',
    description:
      'Send the Login Widget data exactly as received. The middleware verifies the signature and freshness, ' +
      "exchanges the data for the user's web-shop account (created on first login), keeps the shop's token encrypted, " +
      'and answers with its own access token for `Authorization: Bearer …`. Refusals are 401 UNAUTHORIZED with `reason`: ' +
      '`invalid_hash`, `auth_date_expired`, `auth_date_in_future` or `shop_refused`. No Idempotency-Key is needed: ' +
      'retrying a login is safe and returns a new token.',
    tags: ['auth'],
    security: [],
    idempotent: false,
    requestSchema: 'auth-telegram',
    responses: { '200': { description: 'Logged in: the access token', schema: 'auth-session' } },
    problems: ['UNAUTHORIZED', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_BUSINESS_ERROR'],
  });
  registerOperation({
    method: 'delete',
    path: AUTH_SESSION_PATH,
    operationId: 'logout',
    summary: 'Log out: the access token stops working at once',
    tags: ['auth'],
    security: session,
    idempotent: false,
    responses: { '204': { description: 'Logged out (also when the token had already expired)' } },
    problems: ['UNAUTHORIZED'],
  });
  registerOperation({
    method: 'delete',
    path: AUTH_LINK_PATH,
    operationId: 'unlinkTelegram',
    summary: "Unlink the web-shop account: forget the user's shop token and profile and end all their sessions",
    tags: ['auth'],
    security: session,
    idempotent: false,
    responses: { '204': { description: 'Unlinked' } },
    problems: ['UNAUTHORIZED'],
  });
}

export interface AuthRouterOptions {
  readonly runtime: AuthRuntime;
  /** The shop client's Telegram login (see loginWithTelegram). */
  readonly exchange: ShopLoginExchange;
  /** Default runtime.settings.botToken (TELEGRAM_BOT_TOKEN). */
  readonly botToken?: string;
  readonly log?: Logger;
  /** Per-IP limit of login attempts; default 10 a minute, burst 10; false turns it off. */
  readonly loginRateLimit?: TokenBucketPolicy | false;
  readonly describe?: DescribeAuthOptions;
}

function noStore(res: Response): void {
  // RFC 6749 §5.1: token responses must not be cached.
  res.set('Cache-Control', 'no-store');
  res.set('Pragma', 'no-cache');
}

function unauthorized(req: Request, res: Response, detail: string): void {
  res.set('WWW-Authenticate', 'Bearer realm="api"');
  sendProblem(res, problemFromCode('UNAUTHORIZED', { ...problemContextOf(req), detail }));
}

/**
 * POST /api/v1/auth/telegram (login), DELETE /api/v1/auth/session (logout), DELETE
 * /api/v1/auth/link (unlink). Mount before Node-RED, like the ops router.
 */
export function authRouter(options: AuthRouterOptions): Router {
  describeAuthOperations(options.describe);
  const { runtime, log } = options;
  const botToken = options.botToken ?? runtime.settings.botToken;
  const router = Router();
  const limit: RequestHandler[] =
    options.loginRateLimit === false
      ? []
      : [
          rateLimitMiddleware({
            db: runtime.db,
            policy: options.loginRateLimit ?? policyFrom(10, 'minute', 10),
            keyOf: (req) => (req.ip ? `auth-login:ip:${req.ip}` : undefined),
            onError: (err) => log?.warn({ err }, 'login rate limit not checked'),
          }),
        ];

  router.post(AUTH_TELEGRAM_PATH, ...limit, jsonBodyParser({ limit: '8kb', keepRawBody: false }), (req, res) => {
    const context = problemContextOf(req);
    noStore(res);
    if (!botToken) {
      log?.error('POST /api/v1/auth/telegram: TELEGRAM_BOT_TOKEN is not configured');
      sendProblem(res, problemFromCode('NOT_READY', { ...context, detail: 'Telegram login is not configured on this server.' }));
      return;
    }
    const checked = validate('auth-telegram', req.body);
    if (!checked.ok) {
      sendProblem(res, validationProblem('auth-telegram', checked.errors, context));
      return;
    }
    loginWithTelegram(req.body, {
      botToken,
      exchange: options.exchange,
      vault: runtime.vault,
      sessions: runtime.sessions,
      maxAgeSeconds: runtime.settings.telegramLoginMaxAgeSeconds,
      log,
      correlationId: context.correlationId,
    }).then(
      (result) => {
        res.status(200).json(result);
      },
      (error: unknown) => {
        const problem = problemFromError(error, context);
        if (problem.status === 401) res.set('WWW-Authenticate', 'Bearer realm="api"');
        if (problem.status >= 500) log?.error({ err: error, correlation_id: context.correlationId }, 'Telegram login failed');
        sendProblem(res, problem);
      },
    );
  });

  const withSession =
    (action: (telegramUserId: number, token: string) => Promise<void>, { requireValid }: { requireValid: boolean }): RequestHandler =>
    (req, res) => {
      const token = bearerToken(req.headers as Record<string, unknown>);
      if (!token) {
        unauthorized(req, res, 'Send the access token from POST /api/v1/auth/telegram as "Authorization: Bearer …".');
        return;
      }
      runtime.sessions
        .verifySession(token)
        .then(async (session) => {
          if (!session && requireValid) {
            unauthorized(req, res, 'The access token is not valid or has expired; log in with Telegram again.');
            return;
          }
          if (session) await action(session.telegramUserId, token);
          res.status(204).end();
        })
        .catch((error: unknown) => {
          log?.error({ err: error }, `${req.method} ${req.path} failed`);
          sendProblem(res, problemFromError(error, problemContextOf(req)));
        });
    };

  // Logout of an unknown or expired token is a success: the token does not work either way.
  router.delete(
    AUTH_SESSION_PATH,
    withSession(
      async (_id, token) => {
        await runtime.sessions.revokeSession(token);
      },
      { requireValid: false },
    ),
  );
  router.delete(
    AUTH_LINK_PATH,
    withSession(
      async (id) => {
        await runtime.vault.unlink(id);
      },
      { requireValid: true },
    ),
  );
  return router;
}
