import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { migrateConfig } from '../../src/node-config/migrations';
import { SttConfigError, SttError, isSttError, type SttFailureReason } from '../../src/stt/errors';
import { createSttProvider } from '../../src/stt/factory';
import { journalSinkFor, type JournalSinkLease } from '../../src/stt/journal-sink';
import { sttFailureText } from '../../src/stt/messages';
import { audioSourceOf, recognizeSource, type AudioMessage } from '../../src/stt/source';
import type { SttProvider } from '../../src/stt/types';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwSttMigrations, sttSettingsFor, type MwSttCredentials, type MwSttDef } from './config';

type SttNode = Node<MwSttCredentials>;
type Msg = NodeMessageInFlow & AudioMessage & Record<string, unknown>;

/** Reasons that need ops rather than a retry by the master: warned about in the log. */
const OPS_REASONS: ReadonlySet<SttFailureReason> = new Set(['auth', 'not_configured', 'rejected', 'internal']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** chatId / messageId of a telegram receiver message, so the answer goes back to the same chat. */
function telegramContext(payload: unknown): { chatId?: unknown; messageId?: unknown } {
  return isRecord(payload) ? { chatId: payload.chatId, messageId: payload.messageId } : {};
}

function shortText(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Speech to text. Input: a voice note (Buffer, http(s) URL, file path, or the telegram
 * receiver's voice payload with `weblink`/`path`). Output 1: `msg.payload.transcript` and
 * `msg.transcript`; output 2: every failure, with a polite Russian text in `msg.payload.text`
 * ready for the telegram sender. Never silence: each input leaves on one of the two outputs.
 */
export default function registerMwStt(RED: NodeAPI): void {
  function MwStt(this: SttNode, def: NodeDef & Partial<MwSttDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConfig<MwSttDef>('mw-stt', def as unknown as Record<string, unknown>, mwSttMigrations);

    let journal: JournalSinkLease | undefined;
    if (config.mwConfig) {
      try {
        const mwConfig = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;
        if (!mwConfig) throw new Error(RED._('mw-stt.errors.noConfig'));
        journal = journalSinkFor(mwConfig.services.db, (error) => node.warn(`${RED._('mw-stt.errors.journal')}: ${(error as Error).message}`));
      } catch (error) {
        node.warn(`${RED._('mw-stt.errors.noJournal')}: ${(error as Error).message}`);
      }
    }

    let provider: SttProvider | undefined;
    let configError: SttError | undefined;
    try {
      provider = createSttProvider({ ...sttSettingsFor(config, node.credentials ?? {}), journal: journal?.sink });
      node.status({ fill: 'grey', shape: 'dot', text: provider.name });
    } catch (error) {
      configError = error instanceof SttError ? error : new SttConfigError((error as Error).message);
      node.status({ fill: 'red', shape: 'ring', text: 'mw-stt.status.notConfigured' });
      node.warn(`${RED._('mw-stt.errors.notConfigured')}: ${configError.message}`);
    }

    let lastWarn = 0;
    const warnOps = (error: SttError): void => {
      if (!OPS_REASONS.has(error.reason) || Date.now() - lastWarn < 60_000) return;
      lastWarn = Date.now();
      node.warn(`${error.code}: ${error.message}`);
    };

    node.on('input', (msg: Msg, send, done) => {
      void (async () => {
        const started = Date.now();
        const original = msg.payload;
        const context = telegramContext(original);
        const correlationId = typeof msg.correlationId === 'string' ? msg.correlationId : undefined;
        try {
          if (!provider) throw configError ?? new SttConfigError('speech recognition is not configured');
          const result = await recognizeSource(provider, audioSourceOf(msg), {
            correlationId,
            maxDownloadBytes: Math.round(config.maxAudioMb * 1024 * 1024),
          });
          const base = isRecord(original) ? { ...original } : {};
          // The telegram receiver's file fields mean nothing after recognition; the file id stays as fileId.
          delete base.weblink;
          delete base.path;
          delete base.blob;
          delete base.audio;
          delete base.buffer;
          // Shaped like the receiver's text message, so the same intent handling applies to voice.
          msg.payload = {
            ...base,
            ...(isRecord(original) && typeof original.content === 'string' ? { fileId: original.content } : {}),
            ...(isRecord(original) ? { type: 'message' } : {}),
            content: result.transcript,
            transcript: result.transcript,
            source: 'voice',
          };
          msg.transcript = result.transcript;
          msg.stt = {
            provider: result.provider,
            language: result.language,
            audioBytes: result.audioBytes,
            audioSeconds: result.audioSeconds,
            attempts: result.attempts,
            durationMs: Date.now() - started,
          };
          node.status({ fill: 'green', shape: 'dot', text: `«${shortText(result.transcript)}»` });
          send([msg, null]);
          done();
        } catch (caught) {
          const error = isSttError(caught) ? caught : null;
          const reason: SttFailureReason = error?.reason ?? 'internal';
          const text = sttFailureText(reason, provider?.limits.maxSeconds);
          msg.payload = {
            ...(context.chatId !== undefined ? { chatId: context.chatId } : {}),
            type: 'message',
            content: text,
            text,
            reason,
            ...(context.messageId !== undefined ? { options: { reply_to_message_id: context.messageId } } : {}),
          };
          msg.stt = {
            provider: provider?.name,
            reason,
            code: error?.code ?? 'STT_INTERNAL',
            retryable: error?.retryable ?? false,
            message: (caught as Error)?.message ?? String(caught),
            durationMs: Date.now() - started,
          };
          if (error) warnOps(error);
          else node.warn(`STT_INTERNAL: ${(caught as Error)?.stack ?? String(caught)}`);
          node.status({ fill: reason === 'unavailable' || OPS_REASONS.has(reason) ? 'red' : 'yellow', shape: 'ring', text: reason });
          // Output 2 carries the polite answer; the flow goes on, so this is not a node error.
          send([null, msg]);
          done();
        }
      })();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      const release = journal?.release() ?? Promise.resolve();
      journal = undefined;
      release.then(done, done);
    });
  }
  RED.nodes.registerType('mw-stt', MwStt as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { apiKey: { type: 'password' }, iamToken: { type: 'password' } },
  });
}
