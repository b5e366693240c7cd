import type { Node, NodeAPI, NodeDef } from 'node-red';
import { migrateConfig } from '../../src/node-config/migrations';
import { outboundBus } from '../../src/outbound/bus';
import { enqueueInputFromMessage } from '../../src/outbound/from-message';
import { enqueue } from '../../src/outbound/queue';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwOutboundMigrations, type MwOutboundDef } from './config';

/**
 * Puts msg.payload into the durable outbound queue and passes the message on with
 * msg.outbound = {id, created, destination, operation}. Delivery is the `mw-delivery` node's job.
 */
export default function registerMwOutbound(RED: NodeAPI): void {
  function MwOutbound(this: Node, def: NodeDef & Partial<MwOutboundDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConfig<MwOutboundDef>('mw-outbound', def as unknown as Record<string, unknown>, mwOutboundMigrations);
    const mwConfig = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;
    if (!mwConfig) node.status({ fill: 'red', shape: 'ring', text: RED._('mw-outbound.status.noConfig') });

    node.on('input', (msg, send, done) => {
      void (async () => {
        try {
          if (!mwConfig) throw new Error(RED._('mw-outbound.errors.noConfig'));
          const { db } = mwConfig.services;
          const input = enqueueInputFromMessage(msg as unknown as Record<string, unknown>, config, (m, path) => RED.util.getMessageProperty(m, path));
          const result = await enqueue(db, input);
          const { item } = result;
          if (result.created) outboundBus().emit('enqueued', { destination: item.destination, id: item.id });
          node.status(
            result.created
              ? { fill: 'green', shape: 'dot', text: `#${item.id} ${item.destination}` }
              : { fill: 'yellow', shape: 'dot', text: `#${item.id} ${RED._('mw-outbound.status.duplicate')}` },
          );
          (msg as unknown as Record<string, unknown>).outbound = {
            id: item.id,
            created: result.created,
            payloadMatches: result.payloadMatches,
            destination: item.destination,
            operation: item.operation,
            state: item.state,
            idempotencyKey: item.idempotencyKey,
          };
          send(msg);
          done();
        } catch (error) {
          node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
          done(error as Error);
        }
      })();
    });
  }
  RED.nodes.registerType('mw-outbound', MwOutbound as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
