import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { journalStats } from '../../src/journal/stats';
import { acquireJournalWriter, type JournalWriterLease } from '../../src/journal/writer';
import { migrateConfig } from '../../src/node-config/migrations';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwJournalMigrations, type MwJournalDef } from './config';
import { entryFromMessage, type JournalMsg } from './message';

/** Status updates at most this often: per-message status floods the editor under load. */
const STATUS_EVERY_MS = 1000;

/**
 * Journals the message as one exchange (masked body or hash) and passes it on unchanged.
 * Writing is buffered and never holds up or fails the flow; write errors are counted for
 * /metrics and shown on the node's status.
 */
export default function registerMwJournal(RED: NodeAPI): void {
  function MwJournal(this: Node, def: NodeDef & Partial<MwJournalDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConfig<MwJournalDef>('mw-journal', def as unknown as Record<string, unknown>, mwJournalMigrations);
    const bodyProperty = config.bodyProperty.replace(/^msg\./, '');
    let lease: JournalWriterLease | undefined;
    let lastWarn = 0;
    try {
      const configNode = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;
      if (!configNode) throw new Error(RED._('mw-journal.errors.noConfig'));
      lease = acquireJournalWriter(configNode.services.db, {
        onError: (error) => {
          // One line per minute at most: a database outage must not flood the log.
          if (Date.now() - lastWarn < 60_000) return;
          lastWarn = Date.now();
          node.warn(`${RED._('mw-journal.errors.writeFailed')}: ${(error as Error).message}`);
        },
      });
    } catch (error) {
      node.status({ fill: 'red', shape: 'ring', text: 'mw-journal.status.noDatabase' });
      node.error(error);
    }

    let count = 0;
    let lastStatus = 0;
    node.on('input', (msg: NodeMessageInFlow & JournalMsg, send, done) => {
      if (lease) {
        const body = bodyProperty ? RED.util.getMessageProperty(msg, bodyProperty) : undefined;
        lease.writer.write(entryFromMessage(msg, config, body));
        count++;
        const now = Date.now();
        if (now - lastStatus >= STATUS_EVERY_MS) {
          lastStatus = now;
          const { writeErrors } = journalStats();
          node.status(writeErrors > 0 ? { fill: 'yellow', shape: 'dot', text: `${count} / errors ${writeErrors}` } : { fill: 'green', shape: 'dot', text: String(count) });
        }
      }
      // The flow goes on even when journaling is impossible: the journal is a record, not a gate.
      send(msg);
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      // Flush on redeploy and shutdown, so nothing buffered is lost.
      const release = lease?.release() ?? Promise.resolve();
      lease = undefined;
      release.then(done, done);
    });
  }
  RED.nodes.registerType('mw-journal', MwJournal as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
