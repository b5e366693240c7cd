import express, { type Request, type Response, type Router } from 'express';
import { readRawBody } from './body';
import { OpenAiError, redactKey, sendOpenAiError } from './errors';
import { MultipartError, multipartBoundary, parseMultipart } from './multipart';
import { inspectOgg } from './scripted-audio';
import type { SttEngine } from './engine';

export const OPENAI_TRANSCRIPTIONS_PATH = '/v1/audio/transcriptions';
/** 25 MB upload limit of the audio endpoints. */
export const OPENAI_MAX_BYTES = 26_214_400;

/** What the real API lists in its error (it lists `oga` but refuses `.oga` names: see below). */
const LISTED_FORMATS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];
/**
 * Extensions the API actually accepts. Telegram voice notes are named `file_N.oga`; the real
 * API answers those with 400 "Invalid file format", which is why clients rename them `.ogg`.
 */
const ACCEPTED_EXTENSIONS = new Set(['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'ogg', 'wav', 'webm']);
const RESPONSE_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'];
const LANGUAGE_NAMES: Record<string, string> = { ru: 'russian', en: 'english', uk: 'ukrainian', kk: 'kazakh', uz: 'uzbek', de: 'german', tr: 'turkish' };

const NO_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password.";

export function authorizeOpenAi(apiKeys: ReadonlySet<string>, req: Request): void {
  const header = req.get('authorization');
  const key = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (!header || key === undefined) throw new OpenAiError(401, NO_KEY);
  if (!apiKeys.has(key)) throw new OpenAiError(401, `Incorrect API key provided: ${redactKey(key)}.`, 'invalid_request_error', null, 'invalid_api_key');
}

/** Does the content look like what its extension claims? (The real API decodes it.) */
function looksLike(ext: string, data: Buffer): boolean {
  const ascii = (from: number, to: number): string => data.toString('latin1', from, to);
  switch (ext) {
    case 'ogg':
      return ascii(0, 4) === 'OggS';
    case 'wav':
      return ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE';
    case 'flac':
      return ascii(0, 4) === 'fLaC';
    case 'webm':
      return data.length >= 4 && data.readUInt32BE(0) === 0x1a45dfa3;
    case 'mp4':
    case 'm4a':
      return ascii(4, 8) === 'ftyp';
    default: // mp3, mpeg, mpga
      return ascii(0, 3) === 'ID3' || (data.length >= 2 && data[0] === 0xff && (data[1] & 0xe0) === 0xe0);
  }
}

function timestamp(seconds: number, separator: ',' | '.'): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
}

/**
 * `POST /v1/audio/transcriptions` (OpenAI and compatible servers): multipart `file`, `model`,
 * `language` (ISO-639-1), `prompt`, `response_format`, `temperature`; `{"text": "..."}` back.
 */
export function openAiTranscriptionRouter(engine: SttEngine): Router {
  const router = express.Router();
  router.post(OPENAI_TRANSCRIPTIONS_PATH, (req: Request, res: Response) => {
    void (async () => {
      try {
        authorizeOpenAi(engine.apiKeys, req);
        const contentType = req.get('content-type');
        if (!multipartBoundary(contentType)) {
          throw new OpenAiError(
            400,
            `Invalid Content-Type header (${contentType ?? 'none'}), expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')`,
          );
        }
        const raw = await readRawBody(req, OPENAI_MAX_BYTES + 64 * 1024);
        if (raw.total > OPENAI_MAX_BYTES + 64 * 1024) {
          throw new OpenAiError(413, `Maximum content size limit (${OPENAI_MAX_BYTES}) exceeded (${raw.total} bytes read)`, 'server_error');
        }
        let form;
        try {
          form = parseMultipart(raw.data, contentType);
        } catch (error) {
          if (error instanceof MultipartError) throw new OpenAiError(400, `Could not parse multipart form: ${error.message}`);
          throw error;
        }
        const file = form.files.find((f) => f.field === 'file');
        (req as { body?: unknown }).body = { fields: form.fields, file: file && { filename: file.filename, contentType: file.contentType, bytes: file.data.length } };

        const model = form.fields.model;
        if (!model) throw new OpenAiError(400, 'you must provide a model parameter');
        if (!file) throw new OpenAiError(400, '1 validation error for Request\nbody -> file\n  field required (type=value_error.missing)', 'invalid_request_error', 'file');
        if (!engine.models.has(model)) {
          throw new OpenAiError(400, `Invalid model ${model}. Supported models: ${[...engine.models].join(', ')}.`, 'invalid_request_error', 'model', 'model_not_found');
        }
        if (file.data.length > OPENAI_MAX_BYTES) {
          throw new OpenAiError(413, `Maximum content size limit (${OPENAI_MAX_BYTES}) exceeded (${file.data.length} bytes read)`, 'server_error');
        }
        const ext = /\.([a-z0-9]+)$/i.exec(file.filename)?.[1]?.toLowerCase() ?? '';
        if (!ACCEPTED_EXTENSIONS.has(ext)) {
          throw new OpenAiError(400, `Invalid file format. Supported formats: [${LISTED_FORMATS.map((f) => `'${f}'`).join(', ')}]`);
        }
        const ogg = ext === 'ogg' ? inspectOgg(file.data) : undefined;
        if (file.data.length === 0 || !looksLike(ext, file.data) || (ext === 'ogg' && !ogg?.valid)) {
          throw new OpenAiError(400, 'Audio file might be corrupted or unsupported', 'invalid_request_error', 'file', 'invalid_value');
        }
        const language = form.fields.language;
        if (language !== undefined && language !== '' && !/^[a-z]{2}$/.test(language)) {
          throw new OpenAiError(400, `Invalid language '${language}'. Language parameter must be specified in ISO-639-1 format.`, 'invalid_request_error', 'language', 'invalid_language_format');
        }
        const responseFormat = form.fields.response_format || 'json';
        if (!RESPONSE_FORMATS.includes(responseFormat)) {
          throw new OpenAiError(400, `Invalid value for 'response_format': '${responseFormat}'. Supported values are: ${RESPONSE_FORMATS.map((f) => `'${f}'`).join(', ')}.`, 'invalid_request_error', 'response_format', 'invalid_value');
        }
        if (model.startsWith('gpt-4o') && responseFormat !== 'json' && responseFormat !== 'text') {
          throw new OpenAiError(400, `response_format '${responseFormat}' is not compatible with model '${model}'. Use 'json' or 'text' instead.`, 'invalid_request_error', 'response_format', 'unsupported_value');
        }
        const temperatureRaw = form.fields.temperature;
        if (temperatureRaw !== undefined && temperatureRaw !== '') {
          const t = Number(temperatureRaw);
          if (!Number.isFinite(t) || t < 0 || t > 1) throw new OpenAiError(400, `Invalid 'temperature': must be between 0 and 1, got ${temperatureRaw}.`, 'invalid_request_error', 'temperature', 'invalid_value');
        }
        const duration = ogg?.durationSeconds;
        if (duration !== undefined && duration < 0.1) {
          throw new OpenAiError(400, 'Audio file is too short. Minimum audio length is 0.1 seconds.', 'invalid_request_error', 'file', 'audio_too_short');
        }

        const recognition = engine.recognize({ protocol: 'openai', audio: file.data, durationSeconds: duration, language: language || undefined, fileName: file.filename, model });
        const text = recognition.transcript;
        const seconds = duration ?? 1;
        switch (responseFormat) {
          case 'text':
            res.type('text/plain; charset=utf-8').send(`${text}\n`);
            return;
          case 'srt':
            res.type('text/plain; charset=utf-8').send(text ? `1\n${timestamp(0, ',')} --> ${timestamp(seconds, ',')}\n${text}\n\n` : '');
            return;
          case 'vtt':
            res.type('text/vtt; charset=utf-8').send(`WEBVTT\n\n${text ? `${timestamp(0, '.')} --> ${timestamp(seconds, '.')}\n${text}\n\n` : ''}`);
            return;
          case 'verbose_json':
            res.json({
              task: 'transcribe',
              language: LANGUAGE_NAMES[language || 'ru'] ?? language,
              duration: Math.round(seconds * 100) / 100,
              text,
              segments: text
                ? [{ id: 0, seek: 0, start: 0, end: Math.round(seconds * 100) / 100, text: ` ${text}`, tokens: [], temperature: 0, avg_logprob: -0.2, compression_ratio: 1, no_speech_prob: 0.01 }]
                : [],
              usage: { type: 'duration', seconds: Math.ceil(seconds) },
            });
            return;
          default:
            res.json(model.startsWith('gpt-4o') ? { text, usage: { type: 'tokens', input_tokens: Math.ceil(seconds * 10), output_tokens: text.length, total_tokens: Math.ceil(seconds * 10) + text.length } } : { text, usage: { type: 'duration', seconds: Math.ceil(seconds) } });
        }
      } catch (error) {
        if (error instanceof OpenAiError) sendOpenAiError(res, error);
        else if (!res.headersSent) sendOpenAiError(res, new OpenAiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error'));
      }
    })();
  });
  router.all(OPENAI_TRANSCRIPTIONS_PATH, (req, res) => {
    res.setHeader('Allow', 'POST');
    sendOpenAiError(res, new OpenAiError(405, `Invalid method for URL (${req.method} ${OPENAI_TRANSCRIPTIONS_PATH})`));
  });
  return router;
}
