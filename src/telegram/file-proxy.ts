import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { isBotApiError, type BotApi } from './bot-api';

/**
 * Public links to Telegram files (return photos) that the web shop can fetch, without the bot
 * token: Telegram's own file URLs contain it (telegrambot quirk 3), so they must never leave the
 * middleware. A link is `${baseUrl}/<file_id>?sig=<HMAC>`; the router checks the signature,
 * fetches the file through the Bot API and streams it back.
 *
 * Mount (server): `app.use('/api/v1/telegram/files', telegramFileRouter({ api, secret }))` and give
 * the assistant `photoUrl: (id) => signedFileUrl('https://mw.example/api/v1/telegram/files', id, secret)`.
 */
export function fileSignature(fileId: string, secret: string): string {
  return createHmac('sha256', secret).update(`telegram-file:${fileId}`).digest('base64url').slice(0, 32);
}

export function signedFileUrl(baseUrl: string, fileId: string, secret: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(fileId)}?sig=${fileSignature(fileId, secret)}`;
}

export function verifyFileSignature(fileId: string, signature: unknown, secret: string): boolean {
  if (typeof signature !== 'string' || !signature) return false;
  const expected = Buffer.from(fileSignature(fileId, secret));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface TelegramFileRouterOptions {
  readonly api: Pick<BotApi, 'download'>;
  /** At least 16 characters; the same secret signs the links (signedFileUrl). */
  readonly secret: string;
  readonly maxBytes?: number;
}

export function telegramFileRouter(options: TelegramFileRouterOptions): Router {
  if (!options.secret || options.secret.length < 16) throw new RangeError('telegramFileRouter: the signing secret must have at least 16 characters');
  const router = Router();
  router.get('/:fileId', async (req, res) => {
    const fileId = String(req.params.fileId ?? '');
    if (!/^[\w-]{1,200}$/.test(fileId) || !verifyFileSignature(fileId, req.query.sig, options.secret)) {
      res.status(403).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: 'Forbidden', status: 403, detail: 'The file link is not valid.', code: 'FORBIDDEN' }));
      return;
    }
    try {
      const file = await options.api.download(fileId, { maxBytes: options.maxBytes });
      res.setHeader('Cache-Control', 'private, max-age=86400');
      res.type(file.contentType).send(file.bytes);
    } catch (error) {
      const notFound = isBotApiError(error) && error.botApiErrorKind === 'client';
      const status = notFound ? 404 : 502;
      res.status(status).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: notFound ? 'Not Found' : 'Bad Gateway', status, detail: notFound ? 'No such file.' : 'Telegram did not deliver the file.', code: notFound ? 'NOT_FOUND' : 'UPSTREAM_UNAVAILABLE' }));
    }
  });
  return router;
}
