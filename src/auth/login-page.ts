import { Router } from 'express';

export interface LoginPageOptions {
  /** The bot's @username without "@": the widget shows whose login it is. */
  readonly botUsername: string;
  /** telegram-widget.js; the Telegram sandbox serves a faithful stand-in in demo mode. */
  readonly widgetScriptUrl: string;
}

const escapeAttr = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * GET /login — the page a master opens from the bot («Привязать аккаунт»): the Telegram Login
 * Widget signs the master's Telegram identity, the page posts it to POST /api/v1/auth/telegram,
 * which checks the hash, exchanges it with the shop for the master's token (kept encrypted) and
 * links the account. After that the bot takes orders from this Telegram account.
 */
export function loginPageRouter(options: LoginPageOptions): Router {
  const router = Router();
  router.get('/login', (req, res) => {
    const user = typeof req.query.tg === 'string' && /^\d{1,15}$/.test(req.query.tg) ? req.query.tg : '';
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Привязка аккаунта — Ассистент мастера</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1f2933}
h1{font-size:1.4rem}.ok{color:#1b7f3b}.err{color:#b42318}#result{margin-top:1.2rem;font-weight:600}</style></head>
<body><h1>Привязка аккаунта магазина к Telegram</h1>
<p>Войдите через Telegram: бот «Ассистент мастера» сможет оформлять заказы от вашего имени, показывать ваши заказы и возвраты.</p>
<script async src="${escapeAttr(options.widgetScriptUrl)}" data-telegram-login="${escapeAttr(options.botUsername)}" data-size="large" data-request-access="write" data-onauth="onTelegramAuth(user)" data-sandbox-user="${escapeAttr(user)}"></script>
<div id="result" role="status"></div>
<script>
function onTelegramAuth(user) {
  var out = document.getElementById('result');
  out.textContent = 'Проверяем…';
  fetch('/api/v1/auth/telegram', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) })
    .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
    .then(function (r) {
      out.className = r.ok ? 'ok' : 'err';
      out.textContent = r.ok ? 'Готово! Аккаунт привязан, возвращайтесь в чат с ботом.' : 'Не получилось: ' + (r.body.detail || r.body.title || 'ошибка');
    })
    .catch(function () { out.className = 'err'; out.textContent = 'Сервис недоступен, попробуйте позже.'; });
}
</script></body></html>`);
  });
  return router;
}
