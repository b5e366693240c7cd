import express, { type Request, type Response } from 'express';
import { FakeServer } from '../harness';
import { SttEngine, type Recognition } from './engine';
import { OpenAiError, openAiSystemBody, sendOpenAiError, sendYandexError, YandexError, yandexSystemBody, type SttProtocol } from './errors';
import { mountControlRoutes, RequestTag } from './mount';
import { openAiTranscriptionRouter } from './openai';
import { encodeScriptedVoice, sha256Hex } from './scripted-audio';
import { yandexRouter } from './yandex';

export { decodeScriptedVoice, encodeScriptedVoice, inspectOgg, speakingSeconds, TRANSCRIPT_KEY, TRANSCRIPT_KEYS, type OggInspection, type ScriptedVoiceOptions } from './scripted-audio';
export { parseMultipart, type MultipartFile, type MultipartForm } from './multipart';
export type { Recognition } from './engine';
export { YANDEX_PATH, YANDEX_MAX_BYTES, YANDEX_MAX_SECONDS } from './yandex';
export { OPENAI_TRANSCRIPTIONS_PATH, OPENAI_MAX_BYTES } from './openai';

/** API key the sandbox accepts unless told otherwise (Yandex `Api-Key …` and OpenAI `Bearer …`). */
export const DEFAULT_STT_API_KEY = 'stt-sandbox-key-0000000000000000';
/** IAM token the sandbox accepts as Yandex `Bearer …` (with a folderId) unless told otherwise. */
export const DEFAULT_STT_IAM_TOKEN = 't1.stt-sandbox-iam-token';
export const DEFAULT_STT_MODELS: readonly string[] = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe'];
export const STT_CONTROL_BASE = '/__sandbox/stt';

export interface SttSandboxOptions {
  /** Accepted API keys (both protocols); default [DEFAULT_STT_API_KEY]. */
  apiKeys?: readonly string[];
  /** Accepted Yandex IAM tokens (`Bearer`, needs folderId); default [DEFAULT_STT_IAM_TOKEN]. */
  iamTokens?: readonly string[];
  /** When set, a request naming another folderId gets 403 PERMISSION_DENIED. */
  folderId?: string;
  /** Models of the OpenAI-compatible endpoint; default whisper-1, gpt-4o(-mini)-transcribe. */
  models?: readonly string[];
  /** Scripted transcripts by audio SHA-256 (hex). */
  transcripts?: Readonly<Record<string, string>>;
  /** Random source of the harness's error-rate faults. */
  random?: () => number;
}

function protocolOf(req: Request): SttProtocol {
  if (req.path.startsWith('/speech/')) return 'yandex';
  if (req.path.startsWith('/v1/')) return 'openai';
  return 'other';
}

/**
 * A local speech-to-text service speaking both protocols the middleware supports, on one port:
 * Yandex SpeechKit v1 (`POST /speech/v1/stt:recognize`, raw OGG/Opus) and OpenAI-compatible
 * (`POST /v1/audio/transcriptions`, multipart). Transcripts are scripted (README.md).
 */
export class SttSandbox extends FakeServer {
  readonly engine: SttEngine;
  private readonly tag: RequestTag<SttProtocol>;

  constructor(options: SttSandboxOptions = {}) {
    let tagRef: RequestTag<SttProtocol> | undefined;
    super({
      name: 'stt',
      random: options.random,
      // Injected faults answer in the shape of the protocol the request used.
      errorBody: (status) => (tagRef?.current() === 'openai' ? openAiSystemBody(status) : yandexSystemBody(status)),
    });
    this.tag = new RequestTag(this.app, protocolOf);
    tagRef = this.tag;
    this.engine = new SttEngine({
      apiKeys: options.apiKeys ?? [DEFAULT_STT_API_KEY],
      iamTokens: options.iamTokens ?? [DEFAULT_STT_IAM_TOKEN],
      models: options.models ?? DEFAULT_STT_MODELS,
      folderId: options.folderId,
      transcripts: options.transcripts,
    });
    this.app.use(yandexRouter(this.engine));
    this.app.use(openAiTranscriptionRouter(this.engine));
    this.app.use((req: Request, res: Response) => {
      if (protocolOf(req) === 'openai') sendOpenAiError(res, new OpenAiError(404, `Invalid URL (${req.method} ${req.path})`));
      else sendYandexError(res, new YandexError(404, 'NOT_FOUND', `Method not found: ${req.method} ${req.path}`));
    });
    mountControlRoutes(this.app, STT_CONTROL_BASE, this.controlRouter());
  }

  /** Every recognition so far, oldest first (at most the last 1000). */
  get recognitions(): readonly Recognition[] {
    return this.engine.recognitions;
  }

  /** Scripts what the exact audio (bytes or SHA-256 hex) is recognised as; returns the SHA-256. */
  setTranscript(audio: Buffer | string, text: string): string {
    return this.engine.setTranscript(audio, text);
  }

  clearTranscripts(): void {
    this.engine.clearTranscripts();
  }

  /** Forgets recognitions, scripted transcripts, recorded requests and faults. */
  reset(): void {
    this.engine.clearTranscripts();
    this.engine.recognitions.length = 0;
    this.clearRequests();
    this.setFaults({});
  }

  /**
   * GET /state · POST /transcripts {text, sha256 | audioBase64} · DELETE /transcripts ·
   * POST /voice {text, durationSeconds?} → a scripted voice note (base64) · POST /reset
   */
  private controlRouter(): express.Router {
    const router = express.Router();
    router.use(express.json({ limit: '2mb' }));
    const body = (req: Request): Record<string, unknown> => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});
    router.get('/state', (_req, res) => {
      res.json({ recognitions: this.engine.recognitions.length, scripted: this.engine.scriptedCount, last: this.engine.recognitions.slice(-50) });
    });
    router.post('/transcripts', (req, res) => {
      const { text, sha256, audioBase64 } = body(req);
      if (typeof text !== 'string') return void res.status(400).json({ error: 'text is required' });
      const audio = typeof audioBase64 === 'string' ? Buffer.from(audioBase64, 'base64') : typeof sha256 === 'string' && /^[0-9a-f]{64}$/i.test(sha256) ? sha256 : undefined;
      if (audio === undefined) return void res.status(400).json({ error: 'sha256 (hex) or audioBase64 is required' });
      res.json({ sha256: this.setTranscript(audio, text) });
    });
    router.delete('/transcripts', (_req, res) => {
      this.clearTranscripts();
      res.status(204).end();
    });
    router.post('/voice', (req, res) => {
      const { text, durationSeconds } = body(req);
      if (typeof text !== 'string') return void res.status(400).json({ error: 'text is required' });
      const ogg = encodeScriptedVoice(text, { durationSeconds: typeof durationSeconds === 'number' ? durationSeconds : undefined });
      res.json({ oggBase64: ogg.toString('base64'), sha256: sha256Hex(ogg), bytes: ogg.length });
    });
    router.post('/reset', (_req, res) => {
      this.reset();
      res.status(204).end();
    });
    return router;
  }
}

export function createSttSandbox(options: SttSandboxOptions = {}): SttSandbox {
  return new SttSandbox(options);
}
