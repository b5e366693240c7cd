import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { cleanQuestion, howTo } from '../../src/howto/howto';
import { kitFromCallback, KIT_CALLBACK_PREFIX } from '../../src/howto/kit';
import { createLlmClient, type LlmClient } from '../../src/howto/llm-client';
import { HOWTO_ASK_QUESTION, renderHowTo } from '../../src/howto/render';
import { defaultTips, type TipsCatalog } from '../../src/howto/tips';
import { migrateConfig } from '../../src/node-config/migrations';
import { journalSinkFor, type JournalSinkLease } from '../../src/stt/journal-sink';
import type { MwConfigNode } from '../mw-config/mw-config';
import { llmSettingsFor, mwHowtoMigrations, type MwHowtoCredentials, type MwHowtoDef } from './config';

type HowtoNode = Node<MwHowtoCredentials>;
type Msg = NodeMessageInFlow & Record<string, unknown>;

export const HOWTO_ASK_MODEL = 'Для какой модели телефона собрать комплект? Напишите, например: «iPhone 11» или «Redmi 9A».';
export const HOWTO_UNAVAILABLE = 'Советы по ремонту сейчас недоступны, попробуйте чуть позже.';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** The master's question: a string payload, or the text of a telegram / mw-stt payload. */
function questionOf(msg: Msg): string {
  const p = msg.payload;
  if (typeof p === 'string') return p;
  if (isRecord(p)) return str(p.transcript) ?? str(p.question) ?? str(p.text) ?? str(p.content) ?? '';
  return str(msg.transcript) ?? '';
}

/** callback_data of a pressed «Заказать комплект» button (telegram event node or receiver). */
function kitCallbackOf(msg: Msg): string | undefined {
  const p = msg.payload;
  if (typeof p === 'string') return p.startsWith(KIT_CALLBACK_PREFIX) ? p : undefined;
  if (!isRecord(p)) return undefined;
  const data = str(p.data) ?? (p.type === 'callback_query' ? str(p.content) : undefined);
  return data?.startsWith(KIT_CALLBACK_PREFIX) ? data : undefined;
}

function reply(chatId: unknown, text: string, options?: Record<string, unknown>): Record<string, unknown> {
  return { ...(chatId !== undefined ? { chatId } : {}), type: 'message', content: text, text, ...(options ? { options } : {}) };
}

/**
 * /howto: a short repair tip for the master's question (prompt-only LLM or curated), always
 * with the kit to order. Output 1: the answer, ready for the telegram sender, with the
 * «Заказать комплект» button; for a pressed button, `msg.kit` with the search queries.
 * Output 2: the master has to say more (no question; no model for the kit).
 */
export default function registerMwHowto(RED: NodeAPI): void {
  function MwHowto(this: HowtoNode, def: NodeDef & Partial<MwHowtoDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConfig<MwHowtoDef>('mw-howto', def as unknown as Record<string, unknown>, mwHowtoMigrations);

    let journal: JournalSinkLease | undefined;
    if (config.mwConfig) {
      try {
        const mwConfig = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;
        if (!mwConfig) throw new Error(RED._('mw-howto.errors.noConfig'));
        journal = journalSinkFor(mwConfig.services.db, (error) => node.warn(`${RED._('mw-howto.errors.journal')}: ${(error as Error).message}`));
      } catch (error) {
        node.warn(`${RED._('mw-howto.errors.noJournal')}: ${(error as Error).message}`);
      }
    }

    let tips: TipsCatalog | undefined;
    let llm: LlmClient | undefined;
    try {
      tips = defaultTips();
      const settings = llmSettingsFor(config, node.credentials ?? {});
      llm = createLlmClient(settings && { ...settings, journal: journal?.sink });
      node.status({ fill: 'grey', shape: 'dot', text: llm ? 'mw-howto.status.llm' : 'mw-howto.status.curated' });
    } catch (error) {
      node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
      node.error(error as Error);
    }

    node.on('input', (msg: Msg, send, done) => {
      void (async () => {
        const chatId = isRecord(msg.payload) ? msg.payload.chatId : undefined;
        try {
          if (!tips) throw new Error('the curated tips did not load');
          const model = str(msg.model) ?? (isRecord(msg.payload) ? str(msg.payload.model) : undefined);

          const callback = kitCallbackOf(msg);
          if (callback) {
            const kit = kitFromCallback(callback, tips, model);
            msg.kit = kit;
            msg.howtoAction = 'kit';
            if (!kit || kit.needsModel) {
              msg.payload = reply(chatId, kit ? HOWTO_ASK_MODEL : HOWTO_ASK_QUESTION);
              send([null, msg]);
            } else {
              send([msg, null]);
            }
            return done();
          }

          const question = cleanQuestion(questionOf(msg));
          if (!question) {
            msg.howtoAction = 'ask';
            msg.payload = reply(chatId, HOWTO_ASK_QUESTION);
            send([null, msg]);
            return done();
          }
          const result = await howTo(question, { llm, tips, model, correlationId: str(msg.correlationId) });
          const rendered = renderHowTo(result);
          msg.howto = result;
          msg.howtoAction = 'tip';
          msg.payload = reply(chatId, rendered.text, { reply_markup: rendered.replyMarkup });
          node.status({ fill: result.source === 'llm' ? 'green' : llm ? 'yellow' : 'green', shape: 'dot', text: `${result.topic} · ${result.source}${result.llm && result.llm.outcome !== 'ok' ? ` (${result.llm.outcome})` : ''}` });
          send([msg, null]);
          done();
        } catch (error) {
          // Never silence: the master still gets an answer; the error goes to Catch nodes too.
          msg.payload = reply(chatId, HOWTO_UNAVAILABLE);
          send([null, msg]);
          done(error as Error);
        }
      })();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      const release = journal?.release() ?? Promise.resolve();
      journal = undefined;
      release.then(done, done);
    });
  }
  RED.nodes.registerType('mw-howto', MwHowto as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { apiKey: { type: 'password' } },
  });
}
