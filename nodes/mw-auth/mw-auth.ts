import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { ApiKeyRing, bearerToken, presentedApiKey } from '../../src/auth/api-keys';
import { MsgUser, principalFor } from '../../src/auth/msg-user';
import { authRuntimeFor, type AuthRuntime } from '../../src/auth/runtime';
import { problemFromCode } from '../../src/http/problem-builder';
import type { ProblemCode } from '../../src/http/problem-catalogue';
import { problemContextOfMsg, sendProblemToMsg, type HttpMessage } from '../../src/http/problem-msg';
import { migrateConfig } from '../../src/node-config/migrations';
import type { MwConfigNode } from '../mw-config/mw-config';
import { allowedKeyNames, API_KEYS_ENV_NAME, mwAuthMigrations, type MwAuthDef } from './config';

type Send = (msg: Array<NodeMessageInFlow | null>) => void;
type Done = (err?: Error) => void;
type AuthMsg = NodeMessageInFlow & HttpMessage & { user?: MsgUser; principal?: string; problem?: unknown };

const DIGITS = /^[1-9][0-9]{0,15}$/;

/** Problem details are part of the API (English, whatever language the editor speaks). */
const DETAIL = {
  noToken: 'Send the access token from POST /api/v1/auth/telegram as "Authorization: Bearer …".',
  badToken: 'The access token is not valid or has expired; log in with Telegram again.',
  noKey: 'Send the integration API key as "X-Api-Key" or "Authorization: Bearer …".',
  badKey: 'The API key is not valid.',
  keyNotAllowed: 'This API key is not allowed to call this endpoint.',
} as const;

function telegramId(value: unknown): number | undefined {
  const n = typeof value === 'string' && DIGITS.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function get(obj: unknown, ...path: string[]): unknown {
  let v = obj;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function headersOf(msg: AuthMsg): Record<string, unknown> | undefined {
  const headers = get(msg, 'req', 'headers');
  return typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : undefined;
}

/**
 * Who is calling. user: the middleware access token (Bearer) → msg.user with the decrypted shop
 * token; telegram: the Telegram user of a bot update → msg.user, linked or not (never fails);
 * api-key: a named integration key → msg.principal `key:<name>`. Refusals (user, api-key) answer
 * 401/403 problem+json when the message came from http in, and leave on output 2.
 * msg.principal is always set, for mw-rate-limit and mw-idempotency.
 */
export default function registerMwAuth(RED: NodeAPI): void {
  function MwAuth(this: Node, def: NodeDef & Partial<MwAuthDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let config: MwAuthDef;
    let configError: string | undefined;
    try {
      config = migrateConfig<MwAuthDef>('mw-auth', def as unknown as Record<string, unknown>, mwAuthMigrations);
    } catch (error) {
      config = { ...(def as unknown as MwAuthDef), mode: 'user' };
      configError = (error as Error).message;
    }

    // The default variable was already parsed (and checked at start) into the middleware's
    // configuration; other *_API_KEYS variables are read from the environment as named.
    const apiKeysSpec = (name: string): string | undefined => {
      if (name === 'INTEGRATION_API_KEYS') {
        const fromConfig = (RED.settings as unknown as { mw?: { config?: { auth?: { integrationApiKeys?: string } } } }).mw?.config?.auth;
        if (fromConfig) return fromConfig.integrationApiKeys;
      }
      return process.env[name];
    };
    let keys: ApiKeyRing | undefined;
    const allowed = allowedKeyNames(config);
    if (!configError && config.mode === 'api-key') {
      if (!API_KEYS_ENV_NAME.test(config.apiKeysEnv)) {
        configError = RED._('mw-auth.errors.badEnvName', { name: config.apiKeysEnv });
      } else {
        try {
          keys = ApiKeyRing.parse(apiKeysSpec(config.apiKeysEnv));
        } catch (error) {
          configError = `${config.apiKeysEnv}: ${(error as Error).message}`;
        }
        if (keys && !keys.size) node.warn(RED._('mw-auth.warn.noKeys', { name: config.apiKeysEnv }));
        const unknown = keys ? allowed.filter((n) => !keys!.names.includes(n)) : [];
        if (unknown.length) node.warn(RED._('mw-auth.warn.unknownAllowed', { names: unknown.join(', '), name: config.apiKeysEnv }));
      }
    }
    if (configError) {
      node.error(configError);
      node.status({ fill: 'red', shape: 'ring', text: RED._('mw-auth.status.badConfig') });
    }

    let passed = 0;
    let refused = 0;
    const showCounts = (): void => {
      node.status({ fill: refused ? 'yellow' : 'green', shape: 'dot', text: `✓ ${passed}  ✗ ${refused}` });
    };

    const runtime = (): Promise<AuthRuntime> => {
      try {
        const cfg = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;
        if (!cfg) throw new Error(RED._('mw-auth.errors.noConfig'));
        return authRuntimeFor(cfg.services);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    };

    const pass = (msg: AuthMsg, send: Send, done: Done): void => {
      passed++;
      showCounts();
      send([msg, null]);
      done();
    };

    const refuse = (msg: AuthMsg, send: Send, done: Done, code: ProblemCode, detail: string, challenge?: string): void => {
      refused++;
      const problem = problemFromCode(code, { ...problemContextOfMsg(msg), detail });
      sendProblemToMsg(msg, problem, challenge ? { 'WWW-Authenticate': challenge } : {});
      msg.problem = problem;
      // Anonymous callers are still limited: by address.
      msg.principal = principalFor.ip(get(msg, 'req', 'ip'));
      delete msg.user;
      showCounts();
      send([null, msg]);
      done();
    };

    const userMode = (msg: AuthMsg, send: Send, done: Done): void => {
      const token = bearerToken(headersOf(msg));
      if (!token) {
        refuse(msg, send, done, 'UNAUTHORIZED', DETAIL.noToken, 'Bearer realm="api"');
        return;
      }
      runtime()
        .then((rt) => rt.authenticateSession(token))
        .then(
          (user) => {
            if (!user) {
              refuse(msg, send, done, 'UNAUTHORIZED', DETAIL.badToken, 'Bearer realm="api", error="invalid_token"');
              return;
            }
            msg.user = user;
            msg.principal = principalFor.telegram(user.telegramUserId!);
            pass(msg, send, done);
          },
          (error: unknown) => {
            // Database down or a key missing: not the caller's fault, so not a 401. A Catch node
            // (mw-problem) answers it as 500/503.
            node.status({ fill: 'red', shape: 'ring', text: RED._('mw-auth.status.error') });
            done(error as Error);
          },
        );
    };

    const telegramIdOf = (msg: AuthMsg): number | undefined => {
      if (config.telegramIdProperty) {
        try {
          return telegramId(RED.util.getMessageProperty(msg, config.telegramIdProperty));
        } catch {
          return undefined;
        }
      }
      // telegrambot receiver / event / command nodes: the update (message or callback query)
      // is msg.originalMessage; a private chat's id is the user's id (groups are negative).
      return telegramId(get(msg, 'originalMessage', 'from', 'id')) ?? telegramId(get(msg, 'payload', 'from', 'id')) ?? telegramId(get(msg, 'payload', 'chatId'));
    };

    const telegramMode = (msg: AuthMsg, send: Send, done: Done): void => {
      const id = telegramIdOf(msg);
      if (id === undefined) {
        msg.user = new MsgUser({ telegramUserId: undefined, linked: false });
        msg.principal = 'anonymous';
        pass(msg, send, done);
        return;
      }
      msg.principal = principalFor.telegram(id);
      runtime()
        .then((rt) => rt.telegramUser(id))
        .then(
          (user) => {
            msg.user = user;
            pass(msg, send, done);
          },
          (error: unknown) => {
            // Never fails: the flow treats the user as not linked (search still works) and the
            // operator sees the warning.
            node.warn(RED._('mw-auth.warn.lookupFailed', { error: (error as Error).message }));
            msg.user = new MsgUser({ telegramUserId: id, linked: false, lookupFailed: true });
            pass(msg, send, done);
          },
        );
    };

    const apiKeyMode = (msg: AuthMsg, send: Send, done: Done): void => {
      const presented = presentedApiKey(headersOf(msg));
      const name = keys?.match(presented);
      if (!name) {
        refuse(msg, send, done, 'UNAUTHORIZED', presented ? DETAIL.badKey : DETAIL.noKey, 'Bearer realm="integrations"');
        return;
      }
      if (allowed.length && !allowed.includes(name)) {
        refuse(msg, send, done, 'FORBIDDEN', DETAIL.keyNotAllowed);
        return;
      }
      msg.principal = principalFor.apiKey(name);
      pass(msg, send, done);
    };

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      if (configError) {
        done(new Error(configError));
        return;
      }
      const m = msg as AuthMsg;
      if (config.mode === 'api-key') apiKeyMode(m, send, done);
      else if (config.mode === 'telegram') telegramMode(m, send, done);
      else userMode(m, send, done);
    });
  }
  RED.nodes.registerType('mw-auth', MwAuth as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
