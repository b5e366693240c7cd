import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { OutgoingMessage } from '../../src/assistant/types';
import { acquireJournalWriter, type JournalWriterLease } from '../../src/journal/writer';
import { migrateConfig } from '../../src/node-config/migrations';
import type { BotApiOptions } from '../../src/telegram/bot-api';
import { acquireOutbox, type OutboxLease } from '../../src/telegram/registry';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwTelegramSendMigrations, type MwTelegramSendCredentials, type MwTelegramSendDef } from './config';

type Msg = NodeMessageInFlow & Record<string, unknown>;

/** The `telegram bot` config node of node-red-contrib-telegrambot, as far as we read it. */
interface TelegramBotConfigNode {
  readonly credentials?: { token?: string };
  readonly token?: string;
  readonly baseApiUrl?: string;
  getBotToken?: (token?: string) => string | undefined;
}

const METHODS = new Set(['sendMessage', 'editMessageText', 'answerCallbackQuery', 'sendChatAction']);

function isOutgoing(v: unknown): v is OutgoingMessage {
  return typeof v === 'object' && v !== null && METHODS.has((v as { method?: unknown }).method as string) && typeof (v as { chatId?: unknown }).chatId === 'number';
}

/**
 * Sends Bot API calls (msg.payload: an OutgoingMessage of mw-assistant, or an array of them)
 * through the bot's shared outbound queue: order per chat, ≈1 msg/s per chat, ≈30 msg/s in all,
 * 429 retry_after honoured, network errors and 5xx retried. Output 1: sent (msg.payload = the
 * result); output 2: not sent (msg.payload = {ok:false, error, description…}). Status: queue depth.
 */
export default function registerMwTelegramSend(RED: NodeAPI): void {
  function MwTelegramSend(this: Node & { credentials?: MwTelegramSendCredentials }, def: NodeDef & Partial<MwTelegramSendDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let lease: OutboxLease | undefined;
    let journal: JournalWriterLease | undefined;
    let configError: string | undefined;
    let config: MwTelegramSendDef;
    try {
      config = migrateConfig<MwTelegramSendDef>('mw-telegram-send', def as unknown as Record<string, unknown>, mwTelegramSendMigrations);
      const mw = config.mwConfig ? (RED.nodes.getNode(config.mwConfig) as MwConfigNode | null) : null;
      let services: MwConfigNode['services'] | undefined;
      try {
        services = mw?.services;
      } catch {
        services = undefined;
      }
      let api: BotApiOptions;
      if (config.bot) {
        const bot = RED.nodes.getNode(config.bot) as unknown as TelegramBotConfigNode | null;
        if (!bot) throw new Error(RED._('mw-telegram-send.errors.noBot'));
        const token = (typeof bot.getBotToken === 'function' ? bot.getBotToken() : undefined) ?? bot.credentials?.token ?? bot.token;
        if (!token) throw new Error(RED._('mw-telegram-send.errors.noToken'));
        api = { token, baseUrl: bot.baseApiUrl || undefined };
      } else {
        const token = node.credentials?.token || process.env.TELEGRAM_BOT_TOKEN;
        if (!token) throw new Error(RED._('mw-telegram-send.errors.noToken'));
        const configured = (services?.config as { telegramApiUrl?: string } | undefined)?.telegramApiUrl;
        api = { token, baseUrl: config.apiUrl || process.env.TELEGRAM_API_URL || configured || undefined };
      }
      if (services?.db) journal = acquireJournalWriter(services.db, { onError: () => undefined });
      lease = acquireOutbox(api, {
        perChatPerSecond: config.perChatPerSecond,
        perChatBurst: config.perChatBurst,
        globalPerSecond: config.globalPerSecond,
        journal: journal?.writer ?? null,
        metrics: services?.metrics ?? null,
        log: services?.log ?? null,
      });
    } catch (error) {
      configError = (error as Error).message;
      config = def as unknown as MwTelegramSendDef;
      node.error(configError);
      node.status({ fill: 'red', shape: 'ring', text: RED._('mw-telegram-send.status.badConfig') });
    }

    let sent = 0;
    let failed = 0;
    let lastStatus = '';
    const showStatus = (depth: number): void => {
      const text = depth > 0 ? RED._('mw-telegram-send.status.queue', { depth }) : RED._('mw-telegram-send.status.idle', { sent, failed });
      const key = `${depth > 0}|${text}`;
      if (key === lastStatus) return;
      lastStatus = key;
      node.status({ fill: failed && depth === 0 ? 'yellow' : 'green', shape: depth > 0 ? 'ring' : 'dot', text });
    };
    const unsubscribe = lease?.outbox.onDepth(showStatus);
    if (lease) showStatus(lease.outbox.depth);

    node.on('input', (msg: Msg, send, done) => {
      if (!lease) {
        done(new Error(configError ?? 'mw-telegram-send is not configured'));
        return;
      }
      const items = Array.isArray(msg.payload) ? (msg.payload as unknown[]) : [msg.payload];
      const messages = items.filter(isOutgoing);
      if (messages.length !== items.length) {
        done(new Error(RED._('mw-telegram-send.errors.badPayload')));
        return;
      }
      // Queued synchronously, in order: the per-chat order of the queue is the order given here.
      const pending = messages.map((m) => lease!.outbox.send(m));
      Promise.all(pending).then((results) => {
        results.forEach((result, i) => {
          const out = { ...msg, payload: result, request: messages[i] } as Msg;
          if (result.ok) {
            sent++;
            send([out, null]);
          } else {
            failed++;
            send([null, out]);
          }
        });
        showStatus(lease?.outbox.depth ?? 0);
        done();
      }, done);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      unsubscribe?.();
      const l = lease;
      const j = journal;
      lease = undefined;
      journal = undefined;
      Promise.allSettled([l?.release(3000), j?.release()]).then(() => done());
    });
  }
  RED.nodes.registerType('mw-telegram-send', MwTelegramSend as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { token: { type: 'password' } },
  });
}
