import type { Request, Response } from 'express';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { sendProblem } from '../../src/http/problem';
import { gateRequest, principalOf, sideEffectKey } from '../../src/idempotency/gate';
import { idempotencyProblem } from '../../src/idempotency/problems';
import { writeReplay } from '../../src/idempotency/response';
import { migrateConfig } from '../../src/node-config/migrations';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwIdempotencyMigrations, runtimeSettings, type MwIdempotencyDef } from './config';

type HttpMsg = NodeMessageInFlow & {
  req?: Request & { correlationId?: string };
  res?: { _res?: Response };
  correlationId?: string;
  idempotency?: unknown;
};

/**
 * Gate after an `http in` node of a state-changing API route: checks the Idempotency-Key,
 * answers replays, conflicts and in-flight duplicates itself, and passes only the one execution
 * on, with msg.idempotency for mw-respond to record the answer.
 */
export default function registerMwIdempotency(RED: NodeAPI): void {
  function MwIdempotency(this: Node, def: NodeDef & Partial<MwIdempotencyDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConfig<MwIdempotencyDef>('mw-idempotency', def as unknown as Record<string, unknown>, mwIdempotencyMigrations);
    const settings = runtimeSettings(config);
    const configNode = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;
    if (!configNode) node.status({ fill: 'red', shape: 'ring', text: 'mw-idempotency.status.noConfig' });

    // Replays and conflicts are counted on /metrics (duplicates prevented per 1000 POST).
    const metrics = () => {
      try {
        return configNode?.services.metrics;
      } catch {
        return undefined;
      }
    };
    node.on('input', (msg: HttpMsg, send, done) => {
      const req = msg.req;
      const res = msg.res?._res;
      if (!req || !res) {
        done(new Error(RED._('mw-idempotency.errors.notHttp')));
        return;
      }
      const correlationId = msg.correlationId ?? req.correlationId;
      const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
      let db;
      try {
        if (!configNode) throw new Error(RED._('mw-idempotency.errors.noConfig'));
        db = configNode.services.db;
      } catch (error) {
        // Refuse rather than run unprotected: without the store a retry could act twice.
        res.setHeader('Retry-After', '5');
        sendProblem(res, idempotencyProblem('IDEMPOTENCY_UNAVAILABLE', { instance: path, correlationId }));
        node.status({ fill: 'red', shape: 'ring', text: 'mw-idempotency.status.unavailable' });
        done(error as Error);
        return;
      }
      gateRequest(
        db,
        {
          method: req.method,
          path,
          query: req.query as Record<string, unknown>,
          headers: req.headers,
          body: req.body,
          principal: principalOf(RED.util.getMessageProperty(msg, settings.principalProperty), settings.hashPrincipal),
          correlationId,
        },
        { ttlMs: settings.ttlMs, leaseMs: settings.leaseMs, storeHeaders: settings.storeHeaders.split(',') },
      ).then(
        (decision) => {
          switch (decision.kind) {
            case 'pass':
              send(msg);
              done();
              return;
            case 'execute':
              msg.idempotency = decision.context;
              // Side effects downstream (mw-outbound's default key property) dedupe on this.
              msg.idempotencyKey = sideEffectKey(decision.context);
              node.status({ fill: 'green', shape: 'dot', text: decision.context.takeover ? 'mw-idempotency.status.takeover' : 'mw-idempotency.status.execute' });
              send(msg);
              done();
              return;
            case 'replay':
              writeReplay(res, decision.response, correlationId);
              metrics()?.recordIdempotentReplay();
              metrics()?.recordDuplicatePrevented('api');
              node.status({ fill: 'blue', shape: 'dot', text: 'mw-idempotency.status.replayed' });
              done();
              return;
            case 'problem':
              if (decision.problem.status === 409 || decision.problem.status === 422) {
                metrics()?.recordIdempotencyConflict(decision.problem.status);
                if (decision.problem.status === 409) metrics()?.recordDuplicatePrevented('api');
              }
              for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
              sendProblem(res, decision.problem);
              node.status({ fill: decision.error ? 'red' : 'yellow', shape: 'ring', text: `${decision.problem.status} ${decision.problem.code}` });
              // The client has its answer; a storage failure is still reported (logs, catch nodes
              // that must not answer again: msg.res is already sent).
              if (decision.error) done(decision.error as Error);
              else done();
          }
        },
        (error: unknown) => done(error as Error),
      );
    });
  }
  RED.nodes.registerType('mw-idempotency', MwIdempotency as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
