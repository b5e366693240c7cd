import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { acquireCatalogRuntime, type CatalogRuntimeLease } from '../../src/catalog/runtime';
import { problemFromCode } from '../../src/http/problem-builder';
import { migrateConfig } from '../../src/node-config/migrations';
import type { BreakerState } from '../../src/outbound/circuit-breaker';
import { isShopBusinessError, isShopUnavailable } from '../../src/shop/errors';
import { operationArgs, ShopArgumentError, shopOperation } from '../../src/shop/operations';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwShopMigrations, type MwShopDef } from './config';

type Msg = NodeMessageInFlow & Record<string, unknown>;

const STATUS_REFRESH_MS = 2000;

function correlationIdOf(msg: Msg): string | undefined {
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const req = msg.req as { correlationId?: unknown; headers?: Record<string, unknown> } | undefined;
  return pick(msg.correlationId) ?? pick(req?.correlationId) ?? pick(req?.headers?.['x-correlation-id']) ?? pick(msg._msgid);
}

/**
 * Calls the web shop (1C-Bitrix company API) with msg.payload as the arguments and the user's
 * token from the message. Output 1: the result in msg.payload. Output 2: the shop refused
 * (msg.problem, e.g. OUT_OF_STOCK, UNAUTHORIZED, UPSTREAM_BUSINESS_ERROR; msg.shopError). Output
 * 3: the shop is unreachable or slow, or its breaker is open (msg.problem UPSTREAM_UNAVAILABLE /
 * UPSTREAM_TIMEOUT), so the flow can queue the request or answer from the cache.
 */
export default function registerMwShop(RED: NodeAPI): void {
  function MwShop(this: Node, def: NodeDef & Partial<MwShopDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConfig<MwShopDef>('mw-shop', def as unknown as Record<string, unknown>, mwShopMigrations);
    const mwConfig = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;
    let lease: CatalogRuntimeLease | undefined;
    let lastText = '';
    try {
      if (!mwConfig) throw new Error(RED._('mw-shop.errors.noConfig'));
      lease = acquireCatalogRuntime(mwConfig.services);
    } catch (error) {
      node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.replace(/^mw-shop: /, '').slice(0, 60) });
      node.error(error as Error);
    }

    // The editor is told only about changes: the refresh timer must not stream identical statuses.
    let shown = '';
    const show = (status: { fill: 'red' | 'green' | 'yellow' | 'grey'; shape: 'ring' | 'dot'; text: string }): void => {
      const key = `${status.fill}|${status.shape}|${status.text}`;
      if (key === shown) return;
      shown = key;
      node.status(status);
    };
    const breakerStatus = (): void => {
      const client = lease?.runtime.client;
      if (!client) {
        if (lease) show({ fill: 'red', shape: 'ring', text: RED._('mw-shop.status.notConfigured') });
        return;
      }
      const state: BreakerState = client.breakerState;
      if (state === 'open') show({ fill: 'red', shape: 'ring', text: RED._('mw-shop.status.open') });
      else if (state === 'half_open') show({ fill: 'yellow', shape: 'ring', text: RED._('mw-shop.status.halfOpen') });
      else show({ fill: 'green', shape: 'dot', text: lastText || RED._('mw-shop.status.ready') });
    };
    breakerStatus();
    const timer = setInterval(breakerStatus, STATUS_REFRESH_MS);
    timer.unref();

    node.on('input', (msg: Msg, send, done) => {
      void (async () => {
        const correlationId = correlationIdOf(msg);
        const name = config.operation || msg.operation;
        const op = shopOperation(name);
        try {
          if (!lease) throw new Error(RED._('mw-shop.errors.noConfig'));
          if (!op) throw new ShopArgumentError(RED._('mw-shop.errors.unknownOperation', { operation: String(name ?? '') }));
          const client = lease.runtime.client;
          if (!client) {
            msg.problem = problemFromCode('UPSTREAM_UNAVAILABLE', { correlationId, detail: 'The web shop is not configured (SHOP_API_URL).', extra: { upstream: 'shop', reason: 'not_configured' } });
            send([null, null, msg]);
            done();
            return;
          }
          let token: unknown;
          try {
            token = RED.util.getMessageProperty(msg, config.tokenProperty);
          } catch {
            token = undefined; // msg.user is missing: an unlinked user
          }
          const started = Date.now();
          const idempotencyKey = typeof msg.idempotencyKey === 'string' && msg.idempotencyKey !== '' ? msg.idempotencyKey : undefined;
          const result = await op.run(
            client,
            operationArgs(op, msg.payload),
            {
              correlationId,
              userToken: typeof token === 'string' && token !== '' ? token : undefined,
              timeoutMs: config.timeout > 0 ? config.timeout * 1000 : undefined,
              attempt: typeof msg.attempt === 'number' ? msg.attempt : undefined,
            },
            { externalId: idempotencyKey },
          );
          msg.payload = result;
          msg.shop = { operation: op.method, durationMs: Date.now() - started };
          delete msg.problem;
          lastText = op.method;
          breakerStatus();
          send([msg, null, null]);
          done();
        } catch (error) {
          if (isShopBusinessError(error)) {
            msg.problem = error.toProblem({ correlationId });
            msg.shopError = { code: error.shopCode, status: error.httpStatus, operation: error.method };
            show({ fill: 'yellow', shape: 'dot', text: `${op?.method ?? ''}: ${error.shopCode}`.slice(0, 60) });
            send([null, msg, null]);
            done();
          } else if (isShopUnavailable(error)) {
            msg.problem = error.toProblem({ correlationId });
            msg.shopError = { code: error.shopCode ?? null, status: error.httpStatus ?? null, operation: error.method, reason: error.reason };
            if (lease?.runtime.client?.breakerState === 'closed') show({ fill: 'red', shape: 'dot', text: `${op?.method ?? ''}: ${error.reason}`.slice(0, 60) });
            else breakerStatus();
            send([null, null, msg]);
            done();
          } else {
            // A flow mistake (unknown operation, missing arguments) or an internal error: for a Catch node.
            show({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
            done(error as Error);
          }
        }
      })();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(timer);
      const release = lease?.release() ?? Promise.resolve();
      lease = undefined;
      release.then(done, done);
    });
  }
  RED.nodes.registerType('mw-shop', MwShop as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
