import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startSandboxes } from '../../sandbox/registry';
import {
  createSttSandbox,
  decodeScriptedVoice,
  DEFAULT_STT_API_KEY,
  DEFAULT_STT_IAM_TOKEN,
  encodeScriptedVoice,
  inspectOgg,
  parseMultipart,
  type SttSandbox,
} from '../../sandbox/stt';
import { oggCrc32 } from '../../sandbox/stt/scripted-audio';
import { makeScriptedVoice } from '../../sandbox/telegram/ogg';
import '../../sandbox/stt/register';

const KEY = DEFAULT_STT_API_KEY;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

describe('STT sandbox', () => {
  describe('scripted voice notes', () => {
    it('encodes a valid Ogg Opus file carrying TRANSCRIPT=<text> and decodes it back', () => {
      const ogg = encodeScriptedVoice('дисплей айфон 11 оригинал', { durationSeconds: 4 });
      assert.equal(ogg.toString('latin1', 0, 4), 'OggS');
      const info = inspectOgg(ogg);
      assert.ok(info);
      assert.equal(info.opus, true);
      assert.equal(info.valid, true, 'every page CRC matches');
      assert.equal(info.channels, 1);
      assert.ok(Math.abs((info.durationSeconds ?? 0) - 4) < 0.05, `duration ${info.durationSeconds}`);
      assert.ok(info.comments.includes('TRANSCRIPT=дисплей айфон 11 оригинал'));
      assert.equal(decodeScriptedVoice(ogg), 'дисплей айфон 11 оригинал');
      assert.deepEqual(encodeScriptedVoice('дисплей айфон 11 оригинал', { durationSeconds: 4 }), ogg, 'deterministic');
    });

    it('checks page CRCs like a real demuxer: a flipped byte is caught', () => {
      const ogg = Buffer.from(encodeScriptedVoice('акб'));
      ogg[ogg.length - 1] ^= 0xff;
      assert.equal(inspectOgg(ogg)?.valid, false);
      assert.equal(oggCrc32(Buffer.from('OggS')), oggCrc32(Buffer.from('OggS')));
    });

    it('reads the Telegram sandbox\'s SANDBOX_TRANSCRIPT tag too, and nothing from other audio', () => {
      const telegramVoice = makeScriptedVoice('шлейф зарядки редми 9');
      assert.equal(decodeScriptedVoice(telegramVoice), 'шлейф зарядки редми 9');
      assert.equal(decodeScriptedVoice(Buffer.from('RIFF....WAVEfmt ')), undefined);
      assert.equal(decodeScriptedVoice(Buffer.alloc(0)), undefined);
    });

    it('makes big files for size limits with larger frames', () => {
      const ogg = encodeScriptedVoice('x', { durationSeconds: 10, frameBytes: 2200 });
      assert.ok(ogg.length > 1024 * 1024, `${ogg.length} bytes`);
      const info = inspectOgg(ogg);
      assert.equal(info?.valid, true);
      assert.ok(Math.abs((info?.durationSeconds ?? 0) - 10) < 0.05);
    });
  });

  describe('multipart parser', () => {
    it('parses what Node fetch sends, with UTF-8 and binary parts', async () => {
      const audio = encodeScriptedVoice('тест');
      const form = new FormData();
      form.append('file', new Blob([audio as Uint8Array<ArrayBuffer>], { type: 'audio/ogg' }), 'голос.ogg');
      form.append('model', 'whisper-1');
      form.append('prompt', 'дисплей; "кавычки"\r\nи перевод строки');
      const req = new Request('http://x/', { method: 'POST', body: form });
      const parsed = parseMultipart(Buffer.from(await req.arrayBuffer()), req.headers.get('content-type') ?? undefined);
      assert.equal(parsed.fields.model, 'whisper-1');
      assert.equal(parsed.fields.prompt, 'дисплей; "кавычки"\r\nи перевод строки');
      assert.equal(parsed.files.length, 1);
      assert.equal(parsed.files[0].field, 'file');
      assert.equal(parsed.files[0].filename, 'голос.ogg');
      assert.equal(parsed.files[0].contentType, 'audio/ogg');
      assert.deepEqual(parsed.files[0].data, audio);
    });

    it('refuses bodies without a boundary or a closing delimiter', () => {
      assert.throws(() => parseMultipart(Buffer.from('x'), 'application/json'), /multipart\/form-data/);
      assert.throws(() => parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1'), 'multipart/form-data; boundary=b'), /truncated/);
    });
  });

  describe('protocols', () => {
    let stt: SttSandbox;
    let url: string;
    before(async () => {
      stt = createSttSandbox({ folderId: 'b1gfolder' });
      url = await stt.start();
    });
    after(() => stt.stop());
    beforeEach(() => stt.reset());

    const recognize = (body: Buffer | undefined, opts: { query?: string; auth?: string | null; method?: string } = {}): Promise<Answer> =>
      fetch(`${url}/speech/v1/stt:recognize${opts.query ?? '?lang=ru-RU&format=oggopus&topic=general'}`, {
        method: opts.method ?? 'POST',
        headers: opts.auth === null ? {} : { authorization: opts.auth ?? `Api-Key ${KEY}` },
        body: body as Uint8Array<ArrayBuffer> | undefined,
      }).then(answer);

    const transcribe = (fields: Record<string, string>, file?: { data: Buffer; name: string }, auth: string | null = `Bearer ${KEY}`): Promise<Answer> => {
      const form = new FormData();
      if (file) form.append('file', new Blob([file.data as Uint8Array<ArrayBuffer>], { type: 'audio/ogg' }), file.name);
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      return fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', headers: auth ? { authorization: auth } : {}, body: form }).then(answer);
    };

    describe('Yandex SpeechKit v1 stt:recognize', () => {
      it('recognises a scripted voice note sent as the raw body with an API key', async () => {
        const voice = encodeScriptedVoice('аккумулятор самсунг а51');
        const res = await recognize(voice);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /application\/json/);
        assert.deepEqual(res.body, { result: 'аккумулятор самсунг а51' });
        assert.equal(stt.recognitions.length, 1);
        assert.equal(stt.recognitions[0].protocol, 'yandex');
        assert.equal(stt.recognitions[0].source, 'embedded');
        assert.equal(stt.recognitions[0].sha256, sha(voice));
        const recorded = stt.requests.at(-1);
        assert.equal(recorded?.path, '/speech/v1/stt:recognize');
        assert.deepEqual(recorded?.body, { bytes: voice.length, sha256: sha(voice), lang: 'ru-RU', topic: 'general', format: 'oggopus' });
      });

      it('accepts an IAM token as Bearer with a folderId, and defaults lang/topic/format', async () => {
        const voice = encodeScriptedVoice('тачскрин');
        const ok = await recognize(voice, { query: '?folderId=b1gfolder', auth: `Bearer ${DEFAULT_STT_IAM_TOKEN}` });
        assert.deepEqual(ok.body, { result: 'тачскрин' });
        const noFolder = await recognize(voice, { query: '', auth: `Bearer ${DEFAULT_STT_IAM_TOKEN}` });
        assert.equal(noFolder.status, 400);
        assert.equal(noFolder.body.error_code, 'BAD_REQUEST');
        assert.match(noFolder.body.error_message, /folderId/);
        const otherFolder = await recognize(voice, { query: '?folderId=b1gother' });
        assert.equal(otherFolder.status, 403);
        assert.equal(otherFolder.body.error_code, 'PERMISSION_DENIED');
      });

      it('answers 401 in the SpeechKit shape without or with wrong credentials', async () => {
        const voice = encodeScriptedVoice('x');
        for (const auth of [null, 'Api-Key wrong', 'Bearer t1.wrong', `Basic ${Buffer.from('a:b').toString('base64')}`]) {
          const res = await recognize(voice, { auth });
          assert.equal(res.status, 401, String(auth));
          assert.equal(res.body.error_code, 'UNAUTHORIZED');
          assert.equal(typeof res.body.error_message, 'string');
          assert.deepEqual(Object.keys(res.body).sort(), ['error_code', 'error_message']);
        }
        assert.equal(stt.recognitions.length, 0);
      });

      it('refuses an empty body, non-Ogg audio, stereo, unknown parameters (400 BAD_REQUEST)', async () => {
        const cases: Array<[Buffer | undefined, string | undefined, RegExp]> = [
          [undefined, undefined, /empty/],
          [Buffer.from('ID3\x03\x00 not ogg'), undefined, /OggOpus/],
          [encodeScriptedVoice('x', { channels: 2 }), undefined, /1 channel/],
          [encodeScriptedVoice('x'), '?lang=xx-XX', /language/],
          [encodeScriptedVoice('x'), '?format=mp3', /format/],
          [encodeScriptedVoice('x'), '?format=lpcm&sampleRateHertz=44100', /sampleRateHertz/],
          [encodeScriptedVoice('x'), '?profanityFilter=maybe', /profanityFilter/],
        ];
        for (const [body, query, message] of cases) {
          const res = await recognize(body, { query });
          assert.equal(res.status, 400, `${query} ${message}`);
          assert.equal(res.body.error_code, 'BAD_REQUEST');
          assert.match(res.body.error_message, message);
        }
      });

      it('enforces the synchronous limits: 30 s and 1 MB', async () => {
        const long = await recognize(encodeScriptedVoice('длинное', { durationSeconds: 31 }));
        assert.equal(long.status, 400);
        assert.match(long.body.error_message, /duration should be less than 30s/);
        const thirty = await recognize(encodeScriptedVoice('ровно тридцать', { durationSeconds: 30 }));
        assert.deepEqual(thirty.body, { result: 'ровно тридцать' });
        const big = await recognize(encodeScriptedVoice('большое', { durationSeconds: 10, frameBytes: 2200 }));
        assert.equal(big.status, 400);
        assert.match(big.body.error_message, /less than 1MB/);
      });

      it('answers an empty result for audio it has no script for, and scripted-map transcripts by SHA-256', async () => {
        // A note whose "speaker" said nothing: silence recognises as an empty result, not an error.
        const silence = encodeScriptedVoice('', { durationSeconds: 2 });
        assert.deepEqual((await recognize(silence)).body, { result: '' });
        assert.equal(stt.recognitions.at(-1)?.source, 'embedded');
        const plain = encodeScriptedVoice('что-то другое', { durationSeconds: 2 });
        stt.setTranscript(plain, 'задняя крышка редми');
        assert.deepEqual((await recognize(plain)).body, { result: 'задняя крышка редми' }, 'the scripted map wins over the embedded text');
        assert.equal(stt.recognitions.at(-1)?.source, 'scripted-map');
      });

      it('reads lpcm by the scripted map, masks profanity when asked, and refuses GET with 405', async () => {
        const pcm = Buffer.alloc(16000 * 2 * 2); // 2 s at 16 kHz
        stt.setTranscript(pcm, 'блин дисплей');
        const res = await recognize(pcm, { query: '?format=lpcm&sampleRateHertz=16000' });
        assert.deepEqual(res.body, { result: 'блин дисплей' });
        stt.setTranscript(encodeScriptedVoice('x'), 'бляха шлейф');
        assert.deepEqual((await recognize(encodeScriptedVoice('x'), { query: '?profanityFilter=true' })).body, { result: 'б**** шлейф' });
        const get = await fetch(`${url}/speech/v1/stt:recognize`, { headers: { authorization: `Api-Key ${KEY}` } });
        assert.equal(get.status, 405);
        assert.equal((await get.json()).error_code, 'METHOD_NOT_ALLOWED');
      });
    });

    describe('OpenAI-compatible /v1/audio/transcriptions', () => {
      it('transcribes a multipart upload named .ogg → {"text"}', async () => {
        const voice = encodeScriptedVoice('экран поко икс три', { durationSeconds: 3 });
        const res = await transcribe({ model: 'whisper-1', language: 'ru', response_format: 'json' }, { data: voice, name: 'file_7.ogg' });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.text, 'экран поко икс три');
        assert.deepEqual(res.body.usage, { type: 'duration', seconds: 3 });
        const rec = stt.recognitions.at(-1);
        assert.equal(rec?.protocol, 'openai');
        assert.equal(rec?.fileName, 'file_7.ogg');
        assert.equal(rec?.model, 'whisper-1');
        assert.deepEqual(stt.requests.at(-1)?.body, {
          fields: { model: 'whisper-1', language: 'ru', response_format: 'json' },
          file: { filename: 'file_7.ogg', contentType: 'audio/ogg', bytes: voice.length },
        });
      });

      it('rejects the .oga name Telegram gives voice notes, like the real API', async () => {
        const res = await transcribe({ model: 'whisper-1' }, { data: encodeScriptedVoice('x'), name: 'voice/file_3.oga' });
        assert.equal(res.status, 400);
        assert.equal(res.body.error.type, 'invalid_request_error');
        assert.match(res.body.error.message, /^Invalid file format\. Supported formats: \['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'\]$/);
        assert.equal(stt.recognitions.length, 0);
      });

      it('answers 401 in the OpenAI shape without a key or with a wrong one', async () => {
        const file = { data: encodeScriptedVoice('x'), name: 'a.ogg' };
        const none = await transcribe({ model: 'whisper-1' }, file, null);
        assert.equal(none.status, 401);
        assert.match(none.body.error.message, /didn't provide an API key/);
        assert.equal(none.body.error.code, null);
        const wrong = await transcribe({ model: 'whisper-1' }, file, 'Bearer sk-wrong-key-1234567890');
        assert.equal(wrong.status, 401);
        assert.equal(wrong.body.error.code, 'invalid_api_key');
        assert.match(wrong.body.error.message, /^Incorrect API key provided: sk-\*+7890\.$/);
        assert.deepEqual(Object.keys(wrong.body.error).sort(), ['code', 'message', 'param', 'type']);
      });

      it('validates model, file, language, response_format, content and content type', async () => {
        const file = { data: encodeScriptedVoice('x'), name: 'a.ogg' };
        const noModel = await transcribe({}, file);
        assert.equal(noModel.status, 400);
        assert.match(noModel.body.error.message, /must provide a model/);
        const badModel = await transcribe({ model: 'whisper-9' }, file);
        assert.equal(badModel.status, 400);
        assert.equal(badModel.body.error.code, 'model_not_found');
        const noFile = await transcribe({ model: 'whisper-1' });
        assert.equal(noFile.status, 400);
        assert.equal(noFile.body.error.param, 'file');
        const lang = await transcribe({ model: 'whisper-1', language: 'ru-RU' }, file);
        assert.equal(lang.status, 400);
        assert.equal(lang.body.error.code, 'invalid_language_format');
        const format = await transcribe({ model: 'gpt-4o-transcribe', response_format: 'verbose_json' }, file);
        assert.equal(format.status, 400);
        assert.equal(format.body.error.param, 'response_format');
        const corrupt = await transcribe({ model: 'whisper-1' }, { data: Buffer.from('not audio at all'), name: 'a.ogg' });
        assert.equal(corrupt.status, 400);
        assert.match(corrupt.body.error.message, /corrupted or unsupported/);
        const json = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: '{"model":"whisper-1"}' }).then(answer);
        assert.equal(json.status, 400);
        assert.match(json.body.error.message, /expected multipart\/form-data/);
      });

      it('answers text, verbose_json, srt and vtt response formats', async () => {
        const file = { data: encodeScriptedVoice('лоток сим', { durationSeconds: 2 }), name: 'a.ogg' };
        const text = await transcribe({ model: 'whisper-1', response_format: 'text' }, file);
        assert.equal(text.text, 'лоток сим\n');
        const verbose = await transcribe({ model: 'whisper-1', response_format: 'verbose_json', language: 'ru' }, file);
        assert.equal(verbose.body.language, 'russian');
        assert.equal(verbose.body.duration, 2);
        assert.equal(verbose.body.segments[0].end, 2);
        const srt = await transcribe({ model: 'whisper-1', response_format: 'srt' }, file);
        assert.equal(srt.text, '1\n00:00:00,000 --> 00:00:02,000\nлоток сим\n\n');
        const vtt = await transcribe({ model: 'whisper-1', response_format: 'vtt' }, file);
        assert.match(vtt.text, /^WEBVTT\n\n00:00:00\.000 --> 00:00:02\.000\nлоток сим/);
      });
    });

    describe('faults and control', () => {
      it('answers an outage in the shape of the protocol that was called', async () => {
        stt.setFaults({ outage: true });
        const y = await recognize(encodeScriptedVoice('x'));
        assert.equal(y.status, 503);
        assert.deepEqual(y.body, { error_code: 'UNAVAILABLE', error_message: 'The service is currently unavailable' });
        const o = await transcribe({ model: 'whisper-1' }, { data: encodeScriptedVoice('x'), name: 'a.ogg' });
        assert.equal(o.status, 503);
        assert.equal(o.body.error.type, 'server_error');
        stt.setFaults({ errorRate: 1, errorStatus: 429 });
        const limited = await transcribe({ model: 'whisper-1' }, { data: encodeScriptedVoice('x'), name: 'a.ogg' });
        assert.equal(limited.status, 429);
        assert.equal(limited.body.error.code, 'rate_limit_exceeded');
        stt.setFaults({});
        assert.equal((await recognize(encodeScriptedVoice('снова работает'))).body.result, 'снова работает');
      });

      it('adds latency from the harness', async () => {
        stt.setFaults({ latencyMs: 150 });
        const t = performance.now();
        await recognize(encodeScriptedVoice('x'));
        assert.ok(performance.now() - t >= 140);
      });

      it('has control routes (not recorded, not faulted) for voices and scripted transcripts', async () => {
        stt.setFaults({ outage: true });
        const voice = await fetch(`${url}/__sandbox/stt/voice`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'камера', durationSeconds: 2 }) }).then(answer);
        assert.equal(voice.status, 200);
        const bytes = Buffer.from(voice.body.oggBase64, 'base64');
        assert.equal(decodeScriptedVoice(bytes), 'камера');
        const scripted = await fetch(`${url}/__sandbox/stt/transcripts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sha256: voice.body.sha256, text: 'камера основная' }) }).then(answer);
        assert.equal(scripted.body.sha256, sha(bytes));
        const state = await fetch(`${url}/__sandbox/stt/state`).then(answer);
        assert.equal(state.body.scripted, 1);
        assert.equal(stt.requests.length, 0, 'control calls are not recorded');
        stt.setFaults({});
        assert.equal((await recognize(bytes)).body.result, 'камера основная');
      });
    });
  });

  it('registers itself as the "stt" sandbox of the demo mode', async () => {
    const running = await startSandboxes();
    try {
      assert.ok(running.urls.stt);
      const res = await fetch(`${running.urls.stt}/speech/v1/stt:recognize`, { method: 'POST', headers: { authorization: `Api-Key ${KEY}` }, body: encodeScriptedVoice('ок') as Uint8Array<ArrayBuffer> });
      assert.deepEqual(await res.json(), { result: 'ок' });
    } finally {
      await running.stop();
    }
  });
});
