import express from 'express';
import fs from 'node:fs';
import path from 'node:path';
import type { TelegramCore } from './core';

/**
 * The web chat for people without a Telegram account (analysts, demos): `GET /chat` serves plain
 * HTML, CSS and vanilla JS from ./web (no build step), which talk only to the control API, never
 * with the bot token. `GET /` redirects there.
 */
const WEB_DIR = path.join(__dirname, 'web');

const ASSETS: Record<string, string> = {
  'chat.html': 'text/html; charset=utf-8',
  'chat.css': 'text/css; charset=utf-8',
  'chat.js': 'text/javascript; charset=utf-8',
};

export function webChatRouter(_core: TelegramCore): express.Router {
  const router = express.Router();
  const send = (name: string, res: express.Response): void => {
    // Read on each request: the page is small and edits show without a restart.
    fs.readFile(path.join(WEB_DIR, name), (error, bytes) => {
      if (error) {
        res.status(500).type('text/plain').send(`web chat asset missing: ${name}`);
        return;
      }
      res.setHeader('Content-Type', ASSETS[name]);
      res.setHeader('Cache-Control', 'no-cache');
      res.end(bytes);
    });
  };
  router.get('/', (_req, res) => res.redirect(302, '/chat'));
  router.get(['/chat', '/chat/'], (_req, res) => send('chat.html', res));
  router.get('/chat/:asset', (req, res, next) => {
    const name = String(req.params.asset);
    if (!ASSETS[name]) {
      next();
      return;
    }
    send(name, res);
  });
  return router;
}
