import { Router } from 'express';
import { signTelegramLogin } from '../shop/telegram';

/**
 * The Telegram Login Widget, as the sandbox plays it. Real Telegram serves
 * telegram-widget.js, shows a «Log in with Telegram» button and, after the user confirms in
 * Telegram, calls the page's `data-onauth` function with user data signed with the bot token.
 * Here the button asks for a user id and name instead, and the sandbox (which knows the bot
 * token, like Telegram does) signs the same fields the same way.
 */
export function loginWidgetRouter(token: () => string): Router {
  const router = Router();
  router.get('/js/telegram-widget.js', (_req, res) => {
    res.type('application/javascript').send(WIDGET_JS);
  });
  router.get('/__widget/auth', (req, res) => {
    const id = Number(req.query.id);
    if (!Number.isSafeInteger(id) || id <= 0) {
      res.status(400).json({ error: 'id must be a positive integer' });
      return;
    }
    const firstName = String(req.query.first_name ?? 'Мастер').slice(0, 64);
    const data = signTelegramLogin({ id, first_name: firstName, auth_date: Math.floor(Date.now() / 1000) }, token());
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.json(data);
  });
  return router;
}

const WIDGET_JS = `(function () {
  var script = document.currentScript;
  var onauth = script.getAttribute('data-onauth') || '';
  var origin = new URL(script.src).origin;
  var box = document.createElement('div');
  box.className = 'tg-sandbox-widget';
  box.innerHTML = '<label>Telegram user id <input type="number" min="1" value="' + (script.getAttribute('data-sandbox-user') || '') + '" style="width:9em"></label> ' +
    '<label>Имя <input type="text" value="Мастер" style="width:8em"></label> ' +
    '<button type="button" style="background:#54a9eb;color:#fff;border:0;border-radius:6px;padding:6px 14px;cursor:pointer">Войти через Telegram (песочница)</button>';
  script.parentNode.insertBefore(box, script);
  box.querySelector('button').addEventListener('click', function () {
    var inputs = box.querySelectorAll('input');
    var q = '?id=' + encodeURIComponent(inputs[0].value) + '&first_name=' + encodeURIComponent(inputs[1].value);
    fetch(origin + '/__widget/auth' + q).then(function (r) { return r.json(); }).then(function (user) {
      var fn = onauth.replace(/\\(.*\\)\\s*;?$/, '');
      if (fn && typeof window[fn] === 'function') window[fn](user);
    });
  });
})();`;
