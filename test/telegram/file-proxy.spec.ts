import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createTelegramSandbox, type TelegramSandbox } from '../../sandbox/telegram';
import { BotApi } from '../../src/telegram/bot-api';
import { signedFileUrl, telegramFileRouter } from '../../src/telegram/file-proxy';

describe('telegram file links without the bot token (return photos for the shop)', () => {
  let tg: TelegramSandbox;
  let server: http.Server;
  let base: string;
  const secret = 'file-link-secret-for-tests';

  before(async () => {
    tg = createTelegramSandbox();
    await tg.start();
    const app = express();
    app.use('/api/v1/telegram/files', telegramFileRouter({ api: new BotApi({ token: tg.token, baseUrl: tg.url }), secret }));
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/telegram/files`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await tg.stop();
  });

  it('serves a photo by a signed link, refuses forged links, 404 for unknown files', async () => {
    const photo = tg.sendPhoto(600001, {});
    const fileId = photo.photo!.at(-1)!.file_id;
    const url = signedFileUrl(base, fileId, secret);
    assert.ok(!url.includes(tg.token));
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await ok.arrayBuffer()), tg.file(fileId));

    const forged = await fetch(url.replace(/sig=.*/, 'sig=AAAA'));
    assert.equal(forged.status, 403);
    assert.equal((await forged.json()).code, 'FORBIDDEN');
    const unknown = await fetch(signedFileUrl(base, 'AgADnope', secret));
    assert.equal(unknown.status, 404);
    assert.throws(() => telegramFileRouter({ api: new BotApi({ token: tg.token }), secret: 'short' }), /16 characters/);
  });
});
