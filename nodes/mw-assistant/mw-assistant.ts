import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { userFromMsgUser } from '../../src/assistant/adapters';
import { handleUpdate } from '../../src/assistant/handle-update';
import { normalizeNodeRedMessage } from '../../src/assistant/normalize';
import { createAssistantRuntime, type AssistantRuntime } from '../../src/assistant/runtime';
import type { OutgoingMessage } from '../../src/assistant/types';
import { migrateConfig } from '../../src/node-config/migrations';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwAssistantMigrations, type MwAssistantDef } from './config';

type Msg = NodeMessageInFlow & Record<string, unknown>;

/**
 * «Ассистент мастера»: takes a Telegram update (telegram receiver / telegram event node, or a
 * speech-to-text node's msg.transcript), answers it (src/assistant/handle-update.ts) and sends
 * one message per Bot API call on output 1 (for mw-telegram-send). Output 2: events for other
 * flows — manager requests («Неси» under order) and orders queued while the shop is down.
 */
export default function registerMwAssistant(RED: NodeAPI): void {
  function MwAssistant(this: Node, def: NodeDef & Partial<MwAssistantDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let config: MwAssistantDef;
    let runtime: AssistantRuntime | undefined;
    let configError: string | undefined;
    try {
      config = migrateConfig<MwAssistantDef>('mw-assistant', def as unknown as Record<string, unknown>, mwAssistantMigrations);
    } catch (error) {
      config = def as unknown as MwAssistantDef;
      configError = (error as Error).message;
    }

    const reply = (m: OutgoingMessage): Msg => ({ topic: m.method, payload: m, ...(m.correlationId ? { correlationId: m.correlationId } : {}) }) as unknown as Msg;
    const event = (topic: string, payload: unknown): Msg => ({ topic, payload }) as unknown as Msg;

    if (!configError) {
      try {
        const cfg = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;
        if (!cfg) throw new Error(RED._('mw-assistant.errors.noConfig'));
        runtime = createAssistantRuntime(cfg.services, {
          rateLimitPerMinute: config.rateLimitPerMinute,
          photoBaseUrl: config.photoBaseUrl,
          deliverQueued: config.deliverQueued,
          notifyStatusEveryMs: config.notifyEverySeconds * 1000,
          notify: (messages) => node.send([messages.map(reply), null]),
          onManagerRequest: (request) => node.send([null, event('assistant/manager-request', request)]),
          onOrderQueued: (order, id) => node.send([null, event('assistant/order-queued', { id, chatId: order.chatId, telegramUserId: order.telegramUserId, externalId: order.request.externalId })]),
        });
        for (const w of runtime.warnings) node.warn(w);
      } catch (error) {
        configError = (error as Error).message;
      }
    }
    if (configError) {
      node.error(configError);
      node.status({ fill: 'red', shape: 'ring', text: RED._('mw-assistant.status.badConfig') });
    } else {
      node.status({ fill: 'grey', shape: 'ring', text: RED._('mw-assistant.status.starting') });
      runtime!.ready.then(
        () => node.status({ fill: 'green', shape: 'dot', text: RED._('mw-assistant.status.ready') }),
        () => node.status({ fill: 'yellow', shape: 'ring', text: RED._('mw-assistant.status.noCatalog') }),
      );
    }

    const loginUrl = (): string | undefined => config.loginUrl || process.env.ASSISTANT_LOGIN_URL || undefined;
    // One update per chat at a time: the chat's state is read, changed and written per update.
    const chains = new Map<number, Promise<void>>();
    let handled = 0;
    let failed = 0;

    node.on('input', (msg: Msg, send, done) => {
      if (!runtime) {
        done(new Error(configError ?? 'mw-assistant is not configured'));
        return;
      }
      const update = normalizeNodeRedMessage(msg);
      if (!update) {
        // Edits, service messages, channel posts: nothing to answer.
        done();
        return;
      }
      const rt = runtime;
      const previous = chains.get(update.chatId) ?? Promise.resolve();
      const run = previous.then(async () => {
        const out = await handleUpdate(update, {
          ports: rt.ports,
          store: rt.store,
          settings: { loginUrl: loginUrl(), pageSize: config.pageSize, dialogTtlMs: config.dialogTtlMinutes * 60_000 },
          user: userFromMsgUser(msg.user),
          log: {
            debug: (o, m) => node.debug(`${m ?? ''} ${JSON.stringify(o)}`),
            info: (o, m) => node.log(`${m ?? ''} ${JSON.stringify(o)}`),
            warn: (o, m) => node.warn(`${m ?? ''} ${JSON.stringify(o)}`),
            error: (o, m) => node.error(`${m ?? ''} ${JSON.stringify(o)}`),
          },
          onProgress: (m) => send([reply(m), null]),
        });
        handled++;
        if (out.length) send([out.map(reply), null]);
        node.status({ fill: 'green', shape: 'dot', text: RED._('mw-assistant.status.count', { handled, failed }) });
      });
      const tail = run.catch(() => undefined);
      chains.set(update.chatId, tail);
      void tail.then(() => {
        if (chains.get(update.chatId) === tail) chains.delete(update.chatId);
      });
      run.then(
        () => done(),
        (error: unknown) => {
          failed++;
          done(error as Error);
        },
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      const closing = Promise.allSettled([...chains.values()]).then(() => runtime?.close());
      runtime = undefined;
      closing.then(
        () => done(),
        () => done(),
      );
    });
  }
  RED.nodes.registerType('mw-assistant', MwAssistant as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
