import express, { type Request, type Response, type Router } from 'express';
import { readRawBody } from './body';
import { YandexError, yandexBadRequest, sendYandexError } from './errors';
import { inspectOgg } from './scripted-audio';
import type { SttEngine } from './engine';

/** Path of the synchronous recognition method (API v1). */
export const YANDEX_PATH = '/speech/v1/stt:recognize';

/** SpeechKit v1 synchronous recognition limits. */
export const YANDEX_MAX_BYTES = 1024 * 1024;
export const YANDEX_MAX_SECONDS = 30;

export const YANDEX_LANGUAGES: readonly string[] = [
  'auto', 'de-DE', 'en-US', 'es-ES', 'fi-FI', 'fr-FR', 'he-IL', 'it-IT', 'kk-KZ', 'nl-NL', 'pl-PL', 'pt-PT', 'pt-BR', 'ru-RU', 'sv-SE', 'tr-TR', 'uz-UZ',
];
const SAMPLE_RATES = [8000, 16000, 48000];
const VALIDATING = 'Error while parsing and validating request: ';

function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function queryBool(req: Request, name: string): boolean | undefined {
  const raw = queryString(req, name);
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw yandexBadRequest(`${VALIDATING}${name} must be true or false`);
}

/** Checks the Authorization header the way SpeechKit does: an API key, or an IAM token with a folder. */
function authorize(engine: SttEngine, req: Request): void {
  const header = req.get('authorization');
  if (!header) throw new YandexError(401, 'UNAUTHORIZED', 'There is no Authorization header in the request');
  const apiKey = /^Api-Key\s+(\S+)\s*$/i.exec(header)?.[1];
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  const folderId = queryString(req, 'folderId');
  if (apiKey !== undefined) {
    if (!engine.apiKeys.has(apiKey)) throw new YandexError(401, 'UNAUTHORIZED', 'Unknown api key');
  } else if (bearer !== undefined) {
    if (!engine.iamTokens.has(bearer)) throw new YandexError(401, 'UNAUTHORIZED', 'The token is invalid');
    if (!folderId) throw yandexBadRequest(`${VALIDATING}folderId is required when authenticating with an IAM token`);
  } else {
    throw new YandexError(401, 'UNAUTHORIZED', 'Unsupported authorization scheme: use "Api-Key <key>" or "Bearer <IAM token>"');
  }
  if (folderId && engine.folderId && folderId !== engine.folderId) {
    throw new YandexError(403, 'PERMISSION_DENIED', `Permission to [resource-manager.folder ${folderId}] denied`);
  }
}

/**
 * `POST /speech/v1/stt:recognize`: raw audio in the body, parameters in the query string,
 * `{"result": "..."}` back. Errors are `{"error_code", "error_message"}`.
 */
export function yandexRouter(engine: SttEngine): Router {
  const router = express.Router();
  // ':' is a parameter marker in Express paths: match the method name with a regular expression.
  const path = /^\/speech\/v1\/stt:recognize\/?$/;

  router.post(path, (req: Request, res: Response) => {
    void (async () => {
      try {
        authorize(engine, req);
        const lang = queryString(req, 'lang') ?? 'ru-RU';
        if (!YANDEX_LANGUAGES.includes(lang)) throw yandexBadRequest(`${VALIDATING}unsupported language: ${lang}`);
        const topic = queryString(req, 'topic') ?? 'general';
        if (!/^[\w:.-]{1,100}$/.test(topic)) throw yandexBadRequest(`${VALIDATING}invalid topic: ${topic}`);
        const format = queryString(req, 'format') ?? 'oggopus';
        if (format !== 'oggopus' && format !== 'lpcm') throw yandexBadRequest(`${VALIDATING}format must be one of: lpcm, oggopus`);
        const rateRaw = queryString(req, 'sampleRateHertz');
        const sampleRate = rateRaw === undefined ? 48000 : Number(rateRaw);
        if (!SAMPLE_RATES.includes(sampleRate)) throw yandexBadRequest(`${VALIDATING}sampleRateHertz must be one of: ${SAMPLE_RATES.join(', ')}`);
        const profanityFilter = queryBool(req, 'profanityFilter') ?? false;
        queryBool(req, 'rawResults');

        const body = await readRawBody(req, YANDEX_MAX_BYTES + 1);
        (req as { body?: unknown }).body = { bytes: body.total };
        if (body.total === 0) throw yandexBadRequest(`${VALIDATING}audio is empty`);
        if (body.total > YANDEX_MAX_BYTES) throw yandexBadRequest(`${VALIDATING}audio size should be less than 1MB, got ${body.total} bytes`);

        let durationSeconds: number | undefined;
        if (format === 'oggopus') {
          const ogg = inspectOgg(body.data);
          if (!ogg || !ogg.opus) throw yandexBadRequest(`${VALIDATING}audio is not a valid OggOpus stream`);
          if ((ogg.channels ?? 1) > 1) throw yandexBadRequest(`${VALIDATING}audio should have 1 channel, got ${ogg.channels}`);
          durationSeconds = ogg.durationSeconds;
        } else {
          durationSeconds = body.total / (2 * sampleRate);
        }
        if (durationSeconds !== undefined && durationSeconds > YANDEX_MAX_SECONDS) {
          throw yandexBadRequest(`${VALIDATING}audio duration should be less than ${YANDEX_MAX_SECONDS}s, got ${durationSeconds.toFixed(1)}s`);
        }

        const recognition = engine.recognize({ protocol: 'yandex', audio: body.data, durationSeconds, language: lang, format, profanityFilter });
        (req as { body?: unknown }).body = { bytes: body.total, sha256: recognition.sha256, lang, topic, format };
        res.json({ result: recognition.transcript });
      } catch (error) {
        if (error instanceof YandexError) sendYandexError(res, error);
        else if (!res.headersSent) sendYandexError(res, new YandexError(500, 'INTERNAL', (error as Error).message));
      }
    })();
  });

  router.all(path, (_req, res) => {
    res.setHeader('Allow', 'POST');
    sendYandexError(res, new YandexError(405, 'METHOD_NOT_ALLOWED', 'Method not allowed: use POST'));
  });
  return router;
}
