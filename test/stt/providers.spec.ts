import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JournalEntry } from '../../src/journal/entry';
import { toJournalRow } from '../../src/journal/entry';
import {
  audioSourceOf,
  createSttProvider,
  downloadAudio,
  OpenAiTranscriptionProvider,
  openAiTranscriptionsEndpoint,
  recognizeSource,
  SttAudioTooLargeError,
  SttAudioTooLongError,
  SttAuthError,
  SttBadAudioError,
  SttConfigError,
  SttDownloadError,
  SttEmptyResultError,
  SttNoAudioError,
  SttRequestError,
  sttConfigFromEnv,
  sttFailureText,
  SttUnavailableError,
  transcriptionFileName,
  yandexEndpoint,
  yandexLanguage,
  YandexSpeechKitProvider,
  type SttConfig,
} from '../../src/stt';
import { FakeServer } from '../../sandbox/harness';
import { createSttSandbox, DEFAULT_STT_API_KEY, DEFAULT_STT_IAM_TOKEN, encodeScriptedVoice, type SttSandbox } from '../../sandbox/stt';

const KEY = DEFAULT_STT_API_KEY;

describe('STT client (src/stt) against the STT sandbox over HTTP', () => {
  let stt: SttSandbox;
  let url: string;
  let journal: JournalEntry[];
  const sink = (e: JournalEntry): void => void journal.push(e);

  before(async () => {
    stt = createSttSandbox({ folderId: 'b1gfolder' });
    url = await stt.start();
  });
  after(() => stt.stop());
  beforeEach(() => {
    stt.reset();
    journal = [];
  });

  const yandex = (over: Partial<SttConfig> = {}): YandexSpeechKitProvider => new YandexSpeechKitProvider({ provider: 'yandex', url, apiKey: KEY, journal: sink, retryDelayMs: 10, ...over });
  const openai = (over: Partial<SttConfig> = {}): OpenAiTranscriptionProvider => new OpenAiTranscriptionProvider({ provider: 'openai', url, apiKey: KEY, journal: sink, retryDelayMs: 10, ...over });

  describe('YandexSpeechKitProvider', () => {
    it('sends the raw OGG/Opus body with Api-Key auth and lang/topic/format, and returns the transcript', async () => {
      const voice = encodeScriptedVoice('дисплей айфон 11', { durationSeconds: 3 });
      const result = await yandex().recognize({ data: voice }, { correlationId: 'corr-y1' });
      assert.equal(result.transcript, 'дисплей айфон 11');
      assert.equal(result.provider, 'yandex');
      assert.equal(result.language, 'ru-RU');
      assert.equal(result.audioBytes, voice.length);
      assert.ok(Math.abs((result.audioSeconds ?? 0) - 3) < 0.05);
      assert.equal(result.attempts, 1);
      const req = stt.requests.at(-1)!;
      assert.equal(req.path, '/speech/v1/stt:recognize');
      assert.deepEqual(req.query, { lang: 'ru-RU', topic: 'general', format: 'oggopus' });
      assert.equal(req.headers.authorization, `Api-Key ${KEY}`);
      assert.equal(journal.length, 1);
      const [entry] = journal;
      assert.equal(entry.system, 'stt');
      assert.equal(entry.operation, 'stt:recognize');
      assert.equal(entry.direction, 'out');
      assert.equal(entry.status, 'ok');
      assert.equal(entry.httpStatus, 200);
      assert.equal(entry.correlationId, 'corr-y1');
      const row = toJournalRow(entry);
      assert.ok(row.body && !row.body.includes(KEY), 'the key never reaches the journal');
      assert.ok(row.body.includes('дисплей айфон 11'));
    });

    it('uses an IAM token with folderId, and maps short languages (ru → ru-RU)', async () => {
      const p = yandex({ apiKey: undefined, iamToken: DEFAULT_STT_IAM_TOKEN, folderId: 'b1gfolder', language: 'ru' });
      assert.equal((await p.recognize({ data: encodeScriptedVoice('акб') })).transcript, 'акб');
      assert.deepEqual(stt.requests.at(-1)!.query, { lang: 'ru-RU', topic: 'general', format: 'oggopus', folderId: 'b1gfolder' });
      assert.equal(stt.requests.at(-1)!.headers.authorization, `Bearer ${DEFAULT_STT_IAM_TOKEN}`);
      assert.equal(yandexLanguage('en'), 'en-US');
      assert.equal(yandexLanguage('ru_ru'), 'ru-RU');
      assert.equal(yandexEndpoint(undefined), 'https://stt.api.cloud.yandex.net/speech/v1/stt:recognize');
      assert.equal(yandexEndpoint('http://h:1/speech/v1/stt:recognize'), 'http://h:1/speech/v1/stt:recognize');
    });

    it('needs credentials (and a folder with an IAM token)', () => {
      assert.throws(() => new YandexSpeechKitProvider({ provider: 'yandex', url }), SttConfigError);
      assert.throws(() => new YandexSpeechKitProvider({ provider: 'yandex', url, iamToken: 't1' }), /folder id/);
    });

    it('refuses audio over 30 s or 1 MB, non-Ogg and stereo before paying for a call', async () => {
      await assert.rejects(yandex().recognize({ data: encodeScriptedVoice('долго', { durationSeconds: 45 }) }), (e: unknown) => {
        assert.ok(e instanceof SttAudioTooLongError);
        assert.equal(e.reason, 'too_long');
        assert.equal(e.limit, 'duration');
        assert.equal(e.max, 30);
        assert.ok(Math.abs(e.actual - 45) < 0.1);
        return true;
      });
      await assert.rejects(yandex().recognize({ data: encodeScriptedVoice('много', { durationSeconds: 10, frameBytes: 2200 }) }), SttAudioTooLargeError);
      await assert.rejects(yandex().recognize({ data: Buffer.from('ID3 this is mp3') }), SttBadAudioError);
      await assert.rejects(yandex().recognize({ data: encodeScriptedVoice('x', { channels: 2 }) }), SttBadAudioError);
      await assert.rejects(yandex().recognize({ data: Buffer.alloc(0) }), SttNoAudioError);
      assert.equal(stt.requests.length, 0, 'nothing was sent');
    });

    it('turns an empty recognition into SttEmptyResultError (journaled as an error)', async () => {
      await assert.rejects(yandex().recognize({ data: encodeScriptedVoice('', { durationSeconds: 2 }) }), SttEmptyResultError);
      assert.equal(journal.length, 1);
      assert.equal(journal[0].status, 'error');
      assert.equal(journal[0].httpStatus, 200);
    });

    it('maps 401 to SttAuthError and does not retry it', async () => {
      await assert.rejects(yandex({ apiKey: 'wrong' }).recognize({ data: encodeScriptedVoice('x') }), (e: unknown) => {
        assert.ok(e instanceof SttAuthError);
        assert.equal(e.httpStatus, 401);
        assert.equal(e.providerCode, 'UNAUTHORIZED');
        assert.equal(e.retryable, false);
        return true;
      });
      assert.equal(stt.requests.length, 1);
      assert.equal(journal[0].status, 'error');
      assert.match(String(journal[0].error), /UNAUTHORIZED/);
    });

    it('retries once on an outage, then throws SttUnavailableError; both attempts journaled', async () => {
      stt.setFaults({ outage: true });
      await assert.rejects(yandex().recognize({ data: encodeScriptedVoice('x') }, { correlationId: 'c-out' }), (e: unknown) => {
        assert.ok(e instanceof SttUnavailableError);
        assert.equal(e.reason, 'unavailable');
        assert.equal(e.retryable, true);
        assert.equal(e.httpStatus, 503);
        return true;
      });
      assert.equal(stt.requests.length, 2);
      assert.deepEqual(journal.map((j) => [j.status, j.attempt, j.httpStatus]), [['retry', 1, 503], ['error', 2, 503]]);
    });

    it('recovers when the retry succeeds', async () => {
      let calls = 0;
      const rolls = [0, 1];
      const flaky = createSttSandbox({ random: () => rolls[calls++ % 2] });
      const flakyUrl = await flaky.start();
      try {
        flaky.setFaults({ errorRate: 0.5, errorStatus: 502 });
        const r = await yandex({ url: flakyUrl }).recognize({ data: encodeScriptedVoice('со второго раза') });
        assert.equal(r.transcript, 'со второго раза');
        assert.equal(r.attempts, 2);
      } finally {
        await flaky.stop();
      }
    });

    it('times out without retrying (the master is waiting)', async () => {
      stt.setFaults({ latencyMs: 400 });
      const t = performance.now();
      await assert.rejects(yandex({ timeoutMs: 100 }).recognize({ data: encodeScriptedVoice('x') }), (e: unknown) => e instanceof SttUnavailableError && e.timedOut);
      assert.ok(performance.now() - t < 350);
      assert.equal(journal.length, 1);
      assert.equal(journal[0].status, 'error');
    });

    it('treats a refused connection as unavailable', async () => {
      const gone = createSttSandbox();
      const goneUrl = await gone.start();
      await gone.stop();
      await assert.rejects(yandex({ url: goneUrl, retries: 0 }).recognize({ data: encodeScriptedVoice('x') }), (e: unknown) => e instanceof SttUnavailableError && !e.timedOut && /ECONNREFUSED/.test(e.message));
    });

    it('maps the provider\'s own limit answers to the typed errors', async () => {
      const fake = new FakeServer({ name: 'yandex-limits' });
      fake.app.post(/.*/, (req, res) => {
        const kind = String(req.query.topic);
        const message = kind === 'long' ? 'Error while parsing and validating request: audio duration should be less than 30s' : 'Error while parsing and validating request: audio size should be less than 1MB';
        res.status(400).json({ error_code: 'BAD_REQUEST', error_message: message });
      });
      const fakeUrl = await fake.start();
      try {
        await assert.rejects(yandex({ url: fakeUrl, topic: 'long' }).recognize({ data: encodeScriptedVoice('x') }), SttAudioTooLongError);
        await assert.rejects(yandex({ url: fakeUrl, topic: 'big' }).recognize({ data: encodeScriptedVoice('x') }), SttAudioTooLargeError);
      } finally {
        await fake.stop();
      }
    });
  });

  describe('OpenAiTranscriptionProvider', () => {
    it('uploads multipart with the .oga name renamed to .ogg (the sandbox, like the real API, refuses .oga)', async () => {
      const voice = encodeScriptedVoice('плата зарядки самсунг а12');
      // The sandbox proves the rename is needed: the same bytes named .oga are refused.
      const raw = new FormData();
      raw.append('file', new Blob([voice as Uint8Array<ArrayBuffer>], { type: 'audio/ogg' }), 'file_3.oga');
      raw.append('model', 'whisper-1');
      const refused = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: raw });
      assert.equal(refused.status, 400);
      assert.match(((await refused.json()) as { error: { message: string } }).error.message, /^Invalid file format/);

      const result = await openai().recognize({ data: voice, fileName: 'voice/file_3.oga' }, { correlationId: 'corr-o1' });
      assert.equal(result.transcript, 'плата зарядки самсунг а12');
      assert.equal(result.provider, 'openai');
      assert.equal(result.language, 'ru');
      const rec = stt.recognitions.at(-1)!;
      assert.equal(rec.fileName, 'file_3.ogg');
      assert.equal(rec.model, 'whisper-1');
      assert.equal(rec.language, 'ru', 'ru-RU was sent as ISO-639-1');
      const body = stt.requests.at(-1)!.body as { fields: Record<string, string> };
      assert.equal(body.fields.response_format, 'json');
      assert.match(body.fields.prompt, /дисплей/);
      assert.equal(journal.at(-1)!.operation, 'audio.transcriptions');
      assert.equal(journal.at(-1)!.status, 'ok');
      assert.equal(journal.at(-1)!.correlationId, 'corr-o1');
    });

    it('resolves the endpoint from a base URL with or without /v1, and sends the configured model', async () => {
      assert.equal(openAiTranscriptionsEndpoint(undefined), 'https://api.openai.com/v1/audio/transcriptions');
      assert.equal(openAiTranscriptionsEndpoint('http://h/v1/'), 'http://h/v1/audio/transcriptions');
      assert.equal(openAiTranscriptionsEndpoint('http://h'), 'http://h/v1/audio/transcriptions');
      const p = openai({ url: `${url}/v1`, model: 'gpt-4o-mini-transcribe' });
      assert.equal((await p.recognize({ data: encodeScriptedVoice('тест') })).transcript, 'тест');
      assert.equal(stt.recognitions.at(-1)!.model, 'gpt-4o-mini-transcribe');
      assert.equal(stt.recognitions.at(-1)!.fileName, 'voice.ogg', 'a nameless note gets a name from its content');
    });

    it('maps auth, unknown model, bad audio and empty results to typed errors', async () => {
      await assert.rejects(openai({ apiKey: 'sk-wrong-000000000000' }).recognize({ data: encodeScriptedVoice('x') }), (e: unknown) => e instanceof SttAuthError && e.providerCode === 'invalid_api_key');
      await assert.rejects(openai({ model: 'whisper-9' }).recognize({ data: encodeScriptedVoice('x') }), SttRequestError);
      await assert.rejects(openai().recognize({ data: encodeScriptedVoice('', { durationSeconds: 1 }) }), SttEmptyResultError);
      await assert.rejects(openai().recognize({ data: Buffer.from('plain text, not audio') }), SttBadAudioError);
      const corrupted = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(10)]);
      stt.clearRequests();
      await assert.rejects(openai().recognize({ data: corrupted, fileName: 'x.ogg' }), SttBadAudioError, 'a broken Ogg reaches the API, which cannot decode it');
      assert.equal(stt.requests.length, 1);
    });

    it('throws SttUnavailableError on an outage after one retry', async () => {
      stt.setFaults({ outage: true });
      await assert.rejects(openai().recognize({ data: encodeScriptedVoice('x') }), SttUnavailableError);
      assert.equal(stt.requests.length, 2);
      assert.deepEqual(journal.map((j) => j.status), ['retry', 'error']);
    });
  });

  describe('configuration, sources, downloads', () => {
    it('builds providers from config and from the environment', () => {
      assert.ok(createSttProvider({ provider: 'yandex', apiKey: 'k' }) instanceof YandexSpeechKitProvider);
      assert.ok(createSttProvider({ provider: 'openai', apiKey: 'k' }) instanceof OpenAiTranscriptionProvider);
      assert.throws(() => createSttProvider({ provider: 'google' as never }), SttConfigError);
      assert.equal(sttConfigFromEnv({}), undefined);
      assert.equal(sttConfigFromEnv({ STT_PROVIDER: 'none' }), undefined);
      assert.throws(() => sttConfigFromEnv({ STT_PROVIDER: 'google' }), SttConfigError);
      assert.throws(() => sttConfigFromEnv({ STT_PROVIDER: 'yandex', STT_TIMEOUT_MS: 'soon' }), /STT_TIMEOUT_MS/);
      assert.deepEqual(sttConfigFromEnv({ STT_PROVIDER: 'OpenAI', STT_URL: 'http://x/v1', STT_API_KEY: 'k', STT_MODEL: 'whisper-1', STT_LANGUAGE: 'ru-RU', STT_TIMEOUT_MS: '5000' }), {
        provider: 'openai',
        url: 'http://x/v1',
        apiKey: 'k',
        iamToken: undefined,
        folderId: undefined,
        language: 'ru-RU',
        model: 'whisper-1',
        topic: undefined,
        prompt: undefined,
        timeoutMs: 5000,
        retries: undefined,
      });
    });

    it('names uploads for the transcription API', () => {
      const ogg = encodeScriptedVoice('x');
      assert.equal(transcriptionFileName('voice/file_3.oga', ogg), 'file_3.ogg');
      assert.equal(transcriptionFileName('note.OPUS', ogg), 'note.ogg');
      assert.equal(transcriptionFileName(undefined, ogg), 'voice.ogg');
      assert.equal(transcriptionFileName('file_9', ogg), 'file_9.ogg');
      assert.equal(transcriptionFileName('a.mp3', Buffer.from('ID3xxxx')), 'a.mp3');
    });

    it('finds the audio in a Buffer, a URL, a file path or a telegram receiver payload', () => {
      const b = Buffer.from('OggS');
      assert.deepEqual(audioSourceOf({ payload: b }), { kind: 'buffer', data: b, fileName: undefined, durationSeconds: undefined });
      assert.equal(audioSourceOf({ payload: 'https://api.telegram.org/file/bot1:x/voice/file_1.oga' })?.kind, 'url');
      assert.equal(audioSourceOf({ payload: '/tmp/voice.ogg' })?.kind, 'file');
      assert.equal(audioSourceOf({ payload: 'дисплей' }), undefined);
      assert.equal(audioSourceOf({ payload: '/etc/passwd' }), undefined, 'only audio files are read from disk');
      assert.equal(audioSourceOf({ payload: { path: '/home/bot/.env' } }), undefined);
      const tg = audioSourceOf({
        payload: { chatId: 1, messageId: 2, type: 'voice', content: 'AwACAgI', weblink: 'http://127.0.0.1:1/file/botT/voice/file_1.oga', blob: true },
        originalMessage: { voice: { duration: 4 } },
      });
      assert.deepEqual(tg, { kind: 'url', url: 'http://127.0.0.1:1/file/botT/voice/file_1.oga', fileName: undefined, durationSeconds: 4 });
      assert.equal(audioSourceOf({ payload: { weblink: 'http://x/a.oga', path: '/data/tg/file_1.oga' } })?.kind, 'file', 'a saved file wins');
      assert.equal(audioSourceOf({ payload: { type: 'Buffer', data: [79, 103, 103, 83] } })?.kind, 'buffer');
    });

    it('downloads over http with a size cap and never puts the URL path (bot token) in errors', async () => {
      const files = new FakeServer({ name: 'files' });
      const voice = encodeScriptedVoice('скачанный голос');
      files.app.get('/file/bot123:SECRET/voice/file_5.oga', (_req, res) => void res.type('audio/ogg').send(voice));
      files.app.get('/file/bot123:SECRET/voice/big.oga', (_req, res) => void res.type('audio/ogg').send(Buffer.alloc(4096)));
      const base = await files.start();
      try {
        const got = await downloadAudio(`${base}/file/bot123:SECRET/voice/file_5.oga`);
        assert.deepEqual(got.data, voice);
        assert.equal(got.fileName, 'file_5.oga');
        await assert.rejects(downloadAudio(`${base}/file/bot123:SECRET/voice/big.oga`, { maxBytes: 1000 }), SttAudioTooLargeError);
        await assert.rejects(downloadAudio(`${base}/file/bot123:SECRET/voice/missing.oga`), (e: unknown) => {
          assert.ok(e instanceof SttDownloadError);
          assert.equal(e.httpStatus, 404);
          assert.ok(!e.message.includes('SECRET'));
          return true;
        });
        await assert.rejects(downloadAudio('ftp://x/y.oga'), SttDownloadError);

        // And through recognizeSource: download, then recognise with the renamed file.
        const r = await recognizeSource(openai(), { kind: 'url', url: `${base}/file/bot123:SECRET/voice/file_5.oga` });
        assert.equal(r.transcript, 'скачанный голос');
        assert.equal(stt.recognitions.at(-1)!.fileName, 'file_5.ogg');
      } finally {
        await files.stop();
      }
      const dir = mkdtempSync(path.join(tmpdir(), 'stt-'));
      try {
        const file = path.join(dir, 'file_8.oga');
        writeFileSync(file, encodeScriptedVoice('с диска'));
        assert.equal((await recognizeSource(yandex(), { kind: 'file', path: file })).transcript, 'с диска');
        await assert.rejects(recognizeSource(yandex(), { kind: 'file', path: path.join(dir, 'nope.oga') }), SttDownloadError);
        await assert.rejects(recognizeSource(yandex(), undefined), SttNoAudioError);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('has a polite Russian text for every failure', () => {
      assert.equal(sttFailureText('empty'), 'Не расслышал, попробуйте ещё раз или напишите текстом.');
      assert.match(sttFailureText('unavailable'), /^Не расслышал/);
      assert.match(sttFailureText('too_long'), /30 секунд/);
      for (const reason of ['unavailable', 'empty', 'too_long', 'too_large', 'bad_audio', 'auth', 'rejected', 'not_configured', 'download_failed', 'no_audio', 'internal'] as const) {
        assert.match(sttFailureText(reason), /текстом/);
      }
    });
  });
});
