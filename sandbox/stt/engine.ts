import { decodeScriptedVoice, sha256Hex } from './scripted-audio';

/** One recognition the sandbox performed (for assertions and the demo's state page). */
export interface Recognition {
  readonly at: string;
  readonly protocol: 'yandex' | 'openai';
  readonly sha256: string;
  readonly bytes: number;
  readonly durationSeconds?: number;
  readonly language?: string;
  readonly format?: string;
  readonly fileName?: string;
  readonly model?: string;
  readonly transcript: string;
  /** Where the transcript came from. */
  readonly source: 'scripted-map' | 'embedded' | 'none';
}

export interface RecognizeInput {
  readonly protocol: 'yandex' | 'openai';
  readonly audio: Buffer;
  readonly durationSeconds?: number;
  readonly language?: string;
  readonly format?: string;
  readonly fileName?: string;
  readonly model?: string;
  readonly profanityFilter?: boolean;
}

const PROFANITY = /(?<![\p{L}])(бля\p{L}*|хуй\p{L}*|хуе\p{L}*|пизд\p{L}*|еба\p{L}*|ёба\p{L}*|fuck\p{L}*)/giu;

/**
 * The "recogniser" behind both protocols: a transcript scripted for the exact audio (by
 * SHA-256) wins, then the text embedded in a scripted voice note, else nothing was heard ("").
 */
export class SttEngine {
  readonly apiKeys: Set<string>;
  readonly iamTokens: Set<string>;
  readonly models: Set<string>;
  readonly folderId: string | undefined;
  readonly recognitions: Recognition[] = [];
  private readonly transcripts = new Map<string, string>();

  constructor(options: { apiKeys: readonly string[]; iamTokens: readonly string[]; models: readonly string[]; folderId?: string; transcripts?: Readonly<Record<string, string>> }) {
    this.apiKeys = new Set(options.apiKeys);
    this.iamTokens = new Set(options.iamTokens);
    this.models = new Set(options.models);
    this.folderId = options.folderId;
    for (const [sha, text] of Object.entries(options.transcripts ?? {})) this.transcripts.set(sha.toLowerCase(), text);
  }

  /** Scripts what the exact audio (bytes or their SHA-256 hex) is recognised as. */
  setTranscript(audio: Buffer | string, text: string): string {
    const sha = typeof audio === 'string' ? audio.toLowerCase() : sha256Hex(audio);
    this.transcripts.set(sha, text);
    return sha;
  }

  clearTranscripts(): void {
    this.transcripts.clear();
  }

  get scriptedCount(): number {
    return this.transcripts.size;
  }

  recognize(input: RecognizeInput): Recognition & { transcript: string } {
    const sha256 = sha256Hex(input.audio);
    const scripted = this.transcripts.get(sha256);
    const embedded = scripted === undefined ? decodeScriptedVoice(input.audio) : undefined;
    let transcript = (scripted ?? embedded ?? '').trim();
    if (input.profanityFilter) transcript = transcript.replace(PROFANITY, (w) => `${w[0]}${'*'.repeat(Math.max(1, w.length - 1))}`);
    const recognition: Recognition = {
      at: new Date().toISOString(),
      protocol: input.protocol,
      sha256,
      bytes: input.audio.length,
      durationSeconds: input.durationSeconds,
      language: input.language,
      format: input.format,
      fileName: input.fileName,
      model: input.model,
      transcript,
      source: scripted !== undefined ? 'scripted-map' : embedded !== undefined ? 'embedded' : 'none',
    };
    this.recognitions.push(recognition);
    if (this.recognitions.length > 1000) this.recognitions.shift();
    return recognition;
  }
}
