import { hostname } from 'node:os';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { migrateConfig } from '../../src/node-config/migrations';
import { queueStats } from '../../src/outbound/admin';
import { deadLetterMessage, deliveredMessage, needsHumanMessage } from '../../src/outbound/delivery-messages';
import { parseDeliverySettings } from '../../src/outbound/delivery-settings';
import { deliveryStatus } from '../../src/outbound/delivery-status';
import { createHttpDeliver } from '../../src/outbound/http-deliver';
import { DeliveryWorker } from '../../src/outbound/worker';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwDeliveryMigrations, STATUS_REFRESH_MS, type MwDeliveryCredentials, type MwDeliveryDef } from './config';

type DeliveryNode = Node<MwDeliveryCredentials>;

/**
 * Runs a delivery worker for one destination inside the runtime: claims queued items, makes the
 * HTTP call, and sends the result to output 1 (delivered), 2 (needs a human) or 3 (dead letter).
 * Retries happen inside the queue, not in the flow.
 */
export default function registerMwDelivery(RED: NodeAPI): void {
  function MwDelivery(this: DeliveryNode, def: NodeDef & Partial<MwDeliveryDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConfig<MwDeliveryDef>('mw-delivery', def as unknown as Record<string, unknown>, mwDeliveryMigrations);
    const mwConfig = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;

    let worker: DeliveryWorker | undefined;
    let statusTimer: NodeJS.Timeout | undefined;
    try {
      if (!mwConfig) throw new Error(RED._('mw-delivery.errors.noConfig'));
      const settings = parseDeliverySettings(config, node.credentials ?? {});
      const { db, log } = mwConfig.services;
      worker = new DeliveryWorker({
        db,
        deliver: createHttpDeliver(settings.http),
        workerId: `${hostname()}:${process.pid}:${node.id}`,
        destinations: [settings.destination],
        concurrency: settings.concurrency,
        pollMs: settings.pollMs,
        lockMs: settings.lockMs,
        breaker: settings.breaker,
      });
      const w = worker;
      const refreshStatus = async (): Promise<void> => {
        try {
          const stats = await queueStats(db, { destination: settings.destination });
          node.status(deliveryStatus(stats, w.breakers.get(settings.destination).stateAt(Date.now())));
        } catch (error) {
          node.status({ fill: 'red', shape: 'ring', text: `database: ${(error as Error).message.slice(0, 50)}` });
        }
      };
      w.on('delivered', ({ item, outcome, durationMs }) => node.send([deliveredMessage(item, outcome, durationMs), null, null]));
      w.on('needs-human', ({ item, outcome, error }) => {
        log.warn({ deliveryId: item.id, destination: item.destination, operation: item.operation, error }, 'outbound delivery refused: needs a human');
        node.send([null, needsHumanMessage(item, outcome, error), null]);
      });
      w.on('dead-letter', ({ item, error }) => {
        log.error({ deliveryId: item.id, destination: item.destination, operation: item.operation, error }, 'outbound delivery dead-lettered');
        node.send([null, null, deadLetterMessage(item, error)]);
      });
      w.on('breaker', ({ state }) => {
        log.warn({ destination: settings.destination, state }, 'outbound circuit breaker changed');
        void refreshStatus();
      });
      // With a msg, a Catch node gets worker failures (database down); the queue itself loses nothing.
      // The same failure repeats every poll while it lasts: report it once a minute, not every second.
      let lastError = { message: '', at: 0 };
      w.on('error', (error) => {
        const now = Date.now();
        if (error.message === lastError.message && now - lastError.at < 60_000) return;
        lastError = { message: error.message, at: now };
        node.error(error.message, { payload: { error: error.message }, destination: settings.destination });
      });
      w.start();
      void refreshStatus();
      statusTimer = setInterval(() => void refreshStatus(), STATUS_REFRESH_MS);
      statusTimer.unref();
    } catch (error) {
      node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.replace(/^mw-delivery: /, '').slice(0, 80) });
      node.error(error as Error);
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(statusTimer);
      if (!worker) return done();
      worker.stop().then(
        () => done(),
        () => done(),
      );
    });
  }
  RED.nodes.registerType('mw-delivery', MwDelivery as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { username: { type: 'text' }, password: { type: 'password' }, token: { type: 'password' } },
  });
}
