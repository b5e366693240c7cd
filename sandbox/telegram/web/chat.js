/*
 * Web chat of the Telegram sandbox: plain browser JavaScript, no build step. It speaks only to
 * the control API (/__control/…): it writes as a user, presses buttons, and long-polls the chat
 * (`wait?afterRevision=`) to show what the bot sends, edits and deletes.
 */
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const els = {
    botLine: $('bot-line'),
    newChat: $('new-chat'),
    ncId: $('nc-id'),
    ncName: $('nc-name'),
    ncUsername: $('nc-username'),
    chatList: $('chat-list'),
    modeLine: $('mode-line'),
    pendingLine: $('pending-line'),
    resetAll: $('reset-all'),
    chatTitle: $('chat-title'),
    chatStatus: $('chat-status'),
    chatUser: $('chat-user'),
    messages: $('messages'),
    placeholder: $('placeholder'),
    toast: $('toast'),
    replyKeyboard: $('reply-keyboard'),
    composer: $('composer'),
    input: $('input'),
    sendBtn: $('send-btn'),
    voiceBtn: $('voice-btn'),
    attachBtn: $('attach-btn'),
    attachPopup: $('attach-popup'),
    commandsBtn: $('commands-btn'),
    commandsPopup: $('commands-popup'),
    photoInput: $('photo-input'),
    documentInput: $('document-input'),
    jsonDialog: $('json-dialog'),
    jsonView: $('json-view'),
  };

  const state = {
    chatId: null,
    transcript: null,
    revision: -1,
    poll: null,
    sandbox: null,
    seenAnswers: new Set(),
    hiddenKeyboardSeq: null,
    firstRender: true,
  };

  // ------------------------------------------------------------------------------------------
  // HTTP

  async function api(path, options) {
    const res = await fetch('/__control' + path, {
      headers: { 'content-type': 'application/json' },
      ...options,
    });
    const body = await res.json().catch(() => ({ ok: false, error: 'ответ не JSON' }));
    if (!res.ok || body.ok === false) throw new Error(body.error || 'HTTP ' + res.status);
    return body;
  }
  const post = (path, body) => api(path, { method: 'POST', body: JSON.stringify(body) });

  function userFields() {
    const saved = loadProfile(state.chatId) || {};
    const out = {};
    if (saved.name) out.firstName = saved.name;
    if (saved.username) out.username = saved.username;
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Profiles (chat id → name) kept in localStorage

  function loadProfiles() {
    try {
      return JSON.parse(localStorage.getItem('tg-sandbox-profiles') || '{}');
    } catch (e) {
      return {};
    }
  }
  function loadProfile(chatId) {
    return loadProfiles()[String(chatId)];
  }
  function saveProfile(chatId, profile) {
    const all = loadProfiles();
    all[String(chatId)] = profile;
    localStorage.setItem('tg-sandbox-profiles', JSON.stringify(all));
    localStorage.setItem('tg-sandbox-last-chat', String(chatId));
  }

  // ------------------------------------------------------------------------------------------
  // Rendering helpers

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  function safeHref(url) {
    return /^(https?|tg):/i.test(url) ? url : '#';
  }

  /** Text + Bot API entities (UTF-16 offsets) → HTML. */
  function renderEntities(text, entities) {
    if (!entities || entities.length === 0) return escapeHtml(text);
    const opens = new Map();
    const closes = new Map();
    const sorted = entities.slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
    sorted.forEach((e, index) => {
      const slice = text.substr(e.offset, e.length);
      let open = '';
      let close = '';
      switch (e.type) {
        case 'bold': open = '<b>'; close = '</b>'; break;
        case 'italic': open = '<i>'; close = '</i>'; break;
        case 'underline': open = '<u>'; close = '</u>'; break;
        case 'strikethrough': open = '<s>'; close = '</s>'; break;
        case 'spoiler': open = '<span class="spoiler" title="спойлер">'; close = '</span>'; break;
        case 'code': open = '<code>'; close = '</code>'; break;
        case 'pre': open = '<pre>'; close = '</pre>'; break;
        case 'blockquote':
        case 'expandable_blockquote': open = '<blockquote>'; close = '</blockquote>'; break;
        case 'text_link': open = '<a target="_blank" rel="noopener" href="' + escapeHtml(safeHref(e.url || '')) + '">'; close = '</a>'; break;
        case 'url': open = '<a target="_blank" rel="noopener" href="' + escapeHtml(safeHref(/^\w+:/.test(slice) ? slice : 'http://' + slice)) + '">'; close = '</a>'; break;
        case 'bot_command': open = '<a class="cmd" data-cmd="' + escapeHtml(slice) + '">'; close = '</a>'; break;
        default: return;
      }
      const start = e.offset;
      const end = e.offset + e.length;
      if (!opens.has(start)) opens.set(start, []);
      opens.get(start).push({ tag: open, index });
      if (!closes.has(end)) closes.set(end, []);
      closes.get(end).unshift({ tag: close, index });
    });
    let html = '';
    for (let i = 0; i <= text.length; i++) {
      (closes.get(i) || []).forEach((c) => { html += c.tag; });
      (opens.get(i) || []).forEach((o) => { html += o.tag; });
      if (i < text.length) html += escapeHtml(text[i]);
    }
    return html;
  }

  function hhmm(unixSeconds) {
    const d = new Date(unixSeconds * 1000);
    return d.toLocaleTimeString('ru-RU', { hour: '2-digit', minute: '2-digit' });
  }

  function dayLabel(unixSeconds) {
    const d = new Date(unixSeconds * 1000);
    return d.toLocaleDateString('ru-RU', { day: 'numeric', month: 'long' });
  }

  function fmtDuration(seconds) {
    const s = Math.max(0, Math.round(seconds || 0));
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  function fmtSize(bytes) {
    if (bytes == null) return '';
    if (bytes < 1024) return bytes + ' Б';
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + ' КБ';
    return (bytes / 1024 / 1024).toFixed(1) + ' МБ';
  }

  function waveBars(seed) {
    let html = '';
    let x = seed || 7;
    for (let i = 0; i < 28; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      html += '<i style="height:' + (5 + (x % 20)) + 'px"></i>';
    }
    return html;
  }

  function buttonKind(b) {
    if (b.url) return '↗';
    if (b.web_app) return '▣';
    if (b.login_url) return '🔑';
    if (b.switch_inline_query !== undefined || b.switch_inline_query_current_chat !== undefined) return '@';
    if (b.copy_text) return '⧉';
    return '';
  }

  // ------------------------------------------------------------------------------------------
  // Message list

  function messageBody(record) {
    const m = record.message;
    const parts = [];
    if (record.deleted) return '<span class="deleted">сообщение удалено</span>';
    if (m.photo && m.photo.length) {
      const best = m.photo[m.photo.length - 1];
      parts.push('<img class="photo" alt="фото" src="/__control/files/' + encodeURIComponent(best.file_id) + '">');
    }
    if (m.voice) {
      parts.push(
        '<div class="voice-note"><div class="voice-play">▶</div><div class="voice-wave">' + waveBars(m.message_id * 31 + (m.voice.duration || 1)) +
          '</div><div class="voice-len">' + fmtDuration(m.voice.duration) + '</div></div>',
      );
      if (record.scriptedTranscript) parts.push('<div class="voice-text">«' + escapeHtml(record.scriptedTranscript) + '» — сказано голосом</div>');
    }
    if (m.document || m.audio) {
      const d = m.document || m.audio;
      parts.push('<div class="doc"><div class="doc-icon">📄</div><div><a href="/__control/files/' + encodeURIComponent(d.file_id) + '" target="_blank">' +
        escapeHtml(d.file_name || 'файл') + '</a><small>' + fmtSize(d.file_size) + '</small></div></div>');
    }
    if (m.location) {
      const { latitude, longitude } = m.location;
      parts.push('<div>📍 <a target="_blank" rel="noopener" href="https://www.openstreetmap.org/?mlat=' + latitude + '&mlon=' + longitude + '#map=16/' + latitude + '/' + longitude + '">' +
        latitude.toFixed(5) + ', ' + longitude.toFixed(5) + '</a></div>');
    }
    if (m.contact) parts.push('<div>👤 ' + escapeHtml(m.contact.first_name) + ' ' + escapeHtml(m.contact.phone_number) + '</div>');
    if (m.text !== undefined) parts.push(renderEntities(m.text, m.entities));
    if (m.caption !== undefined) parts.push('<div class="caption">' + renderEntities(m.caption, m.caption_entities) + '</div>');
    return parts.join('');
  }

  function renderMessage(record, callbacksByMessage) {
    const m = record.message;
    const row = document.createElement('div');
    row.className = 'row ' + record.direction;
    row.dataset.messageId = m.message_id;
    const edited = record.edits && record.edits.length ? '<span class="edited">изменено </span>' : '';
    const sender = state.transcript.chat.type !== 'private' && record.direction === 'user' && m.from
      ? '<div class="sender">' + escapeHtml(m.from.first_name) + '</div>' : '';
    row.innerHTML = '<div class="bubble' + (m.photo && !record.deleted ? ' has-photo' : '') + '">' + sender + messageBody(record) +
      '<span class="meta"><span class="json" title="показать JSON">{ }</span>' + edited + hhmm(m.edit_date || m.date) + '</span></div>';
    row.querySelector('.json').addEventListener('click', () => showJson(record));
    row.querySelectorAll('.spoiler').forEach((s) => s.addEventListener('click', () => s.classList.toggle('shown')));
    row.querySelectorAll('.cmd').forEach((c) => c.addEventListener('click', () => sendText(c.dataset.cmd)));

    const keyboard = !record.deleted && m.reply_markup && m.reply_markup.inline_keyboard;
    if (keyboard && keyboard.length) {
      const pressed = callbacksByMessage.get(m.message_id) || [];
      const kb = document.createElement('div');
      kb.className = 'keyboard';
      keyboard.forEach((buttons) => {
        const r = document.createElement('div');
        r.className = 'keyboard-row';
        buttons.forEach((b) => {
          const btn = document.createElement('button');
          btn.type = 'button';
          btn.textContent = b.text;
          const kind = buttonKind(b);
          if (kind) {
            const k = document.createElement('span');
            k.className = 'kind';
            k.textContent = kind;
            btn.appendChild(k);
          }
          if (b.callback_data !== undefined && pressed.some((c) => c.query.data === b.callback_data && !c.answer)) btn.classList.add('pressed');
          btn.title = b.callback_data !== undefined ? 'callback_data: ' + b.callback_data : (b.url || (b.web_app && b.web_app.url) || '');
          btn.addEventListener('click', () => pressInline(m.message_id, b));
          r.appendChild(btn);
        });
        kb.appendChild(r);
      });
      row.appendChild(kb);
    }
    return row;
  }

  function showJson(record) {
    els.jsonView.textContent = JSON.stringify(record, null, 2);
    els.jsonDialog.showModal();
  }

  function render(transcript) {
    const first = state.firstRender;
    state.firstRender = false;
    state.transcript = transcript;
    const box = els.messages;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    box.innerHTML = '';
    const callbacksByMessage = new Map();
    transcript.callbacks.forEach((c) => {
      const id = c.query.message && c.query.message.message_id;
      if (!callbacksByMessage.has(id)) callbacksByMessage.set(id, []);
      callbacksByMessage.get(id).push(c);
    });
    const items = [];
    transcript.messages.forEach((m) => { if (!m.deleted) items.push({ seq: m.seq, kind: 'message', record: m }); });
    transcript.callbacks.forEach((c) => { if (c.answer && c.answer.text) items.push({ seq: c.seq, kind: 'answer', record: c }); });
    items.sort((a, b) => a.seq - b.seq);
    if (items.length === 0) {
      box.innerHTML = '<div class="placeholder"><div class="placeholder-card"><div class="placeholder-icon">👋</div>' +
        '<p>Напишите боту, например <b>/start</b> или «дисплей айфон 11».</p></div></div>';
    }
    let lastDay = '';
    items.forEach((item) => {
      if (item.kind === 'message') {
        const day = dayLabel(item.record.message.date);
        if (day !== lastDay) {
          const d = document.createElement('div');
          d.className = 'day';
          d.textContent = day;
          box.appendChild(d);
          lastDay = day;
        }
        box.appendChild(renderMessage(item.record, callbacksByMessage));
      } else {
        const note = document.createElement('div');
        note.className = 'callback-note';
        note.textContent = '🔔 ' + item.record.answer.text;
        box.appendChild(note);
      }
    });
    if (first || atBottom) {
      box.scrollTop = box.scrollHeight;
      // Photos load after the layout: keep the view pinned to the newest message.
      box.querySelectorAll('img.photo').forEach((img) => {
        if (!img.complete) img.addEventListener('load', () => { box.scrollTop = box.scrollHeight; }, { once: true });
      });
    }

    // Answers to button presses: a toast (or an alert when show_alert), once each.
    transcript.callbacks.forEach((c) => {
      if (!c.answer || state.seenAnswers.has(c.query.id)) return;
      state.seenAnswers.add(c.query.id);
      if (first) return;
      if (c.answer.text && c.answer.show_alert) window.alert(c.answer.text);
      else if (c.answer.text) toast(c.answer.text);
      if (c.answer.url) window.open(c.answer.url, '_blank');
    });

    renderReplyKeyboard(transcript);
    renderStatus(transcript);
  }

  function renderStatus(transcript) {
    const chat = transcript.chat;
    const name = chat.type === 'private' ? [chat.first_name, chat.last_name].filter(Boolean).join(' ') : chat.title;
    els.chatUser.innerHTML = 'вы: <b>' + escapeHtml(name || '') + '</b><br>ID ' + chat.id + (chat.username ? ' · @' + escapeHtml(chat.username) : '');
    const last = transcript.actions[transcript.actions.length - 1];
    const typing = last && Date.now() - last.at < 5000;
    const labels = { typing: 'печатает…', upload_photo: 'отправляет фото…', upload_document: 'отправляет файл…', record_voice: 'записывает голосовое…', find_location: 'ищет место…' };
    els.chatStatus.textContent = transcript.blocked ? 'бот заблокирован пользователем' : typing ? (labels[last.action] || 'печатает…') : 'бот';
    els.chatStatus.classList.toggle('typing', Boolean(typing));
    if (typing) setTimeout(() => state.transcript === transcript && renderStatus(transcript), 5200 - (Date.now() - last.at));
  }

  function renderReplyKeyboard(transcript) {
    let current = null;
    transcript.messages.forEach((m) => {
      if (m.direction !== 'bot' || !m.replyKeyboard) return;
      current = m.replyKeyboard.keyboard ? { seq: m.seq, markup: m.replyKeyboard } : null;
    });
    const box = els.replyKeyboard;
    box.innerHTML = '';
    if (!current || state.hiddenKeyboardSeq === current.seq) {
      box.hidden = true;
      return;
    }
    current.markup.keyboard.forEach((buttons) => {
      const r = document.createElement('div');
      r.className = 'keyboard-row';
      buttons.forEach((b) => {
        const btn = document.createElement('button');
        btn.type = 'button';
        btn.textContent = b.text;
        btn.addEventListener('click', async () => {
          if (current.markup.one_time_keyboard) state.hiddenKeyboardSeq = current.seq;
          if (b.request_contact) await shareContact();
          else if (b.request_location) await shareLocation();
          else await sendText(b.text);
        });
        r.appendChild(btn);
      });
      box.appendChild(r);
    });
    box.hidden = false;
  }

  let toastTimer = null;
  function toast(text) {
    els.toast.textContent = text;
    els.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { els.toast.hidden = true; }, 3500);
  }

  // ------------------------------------------------------------------------------------------
  // Actions

  async function run(action) {
    try {
      await action();
    } catch (e) {
      toast('Ошибка: ' + e.message);
    }
  }

  function sendText(text) {
    const t = (text || '').trim();
    if (!t || state.chatId == null) return Promise.resolve();
    return run(() => post('/messages', { chatId: state.chatId, text: t, ...userFields() }));
  }

  function pressInline(messageId, button) {
    if (button.url || (button.web_app && button.web_app.url) || (button.login_url && button.login_url.url)) {
      window.open(button.url || (button.web_app && button.web_app.url) || button.login_url.url, '_blank', 'noopener');
      return;
    }
    if (button.copy_text) {
      navigator.clipboard && navigator.clipboard.writeText(button.copy_text.text);
      toast('Скопировано');
      return;
    }
    if (button.callback_data === undefined) {
      toast('У этой кнопки нет callback_data');
      return;
    }
    run(() => post('/callback', { chatId: state.chatId, messageId, data: button.callback_data, ...userFields() }));
  }

  function sendVoice() {
    let text = els.input.value.trim();
    if (!text) text = (window.prompt('Что сказать голосом? (текст станет «расшифровкой» голосового)') || '').trim();
    if (!text) return;
    els.input.value = '';
    autosize();
    run(() => post('/voice', { chatId: state.chatId, text, ...userFields() }));
  }

  function readFileBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  async function shareLocation() {
    const answer = window.prompt('Координаты (широта, долгота)', '55.751244, 37.618423');
    if (!answer) return;
    const [lat, lon] = answer.split(/[,;\s]+/).map(Number);
    await run(() => post('/location', { chatId: state.chatId, latitude: lat, longitude: lon, ...userFields() }));
  }

  async function shareContact() {
    const phone = window.prompt('Ваш номер телефона', '+79001234567');
    if (!phone) return;
    await run(() => post('/contact', { chatId: state.chatId, phoneNumber: phone, ...userFields() }));
  }

  // ------------------------------------------------------------------------------------------
  // Chat selection and long-poll

  function setEnabled(on) {
    [els.input, els.sendBtn, els.voiceBtn, els.attachBtn, els.commandsBtn].forEach((el) => { el.disabled = !on; });
  }

  async function openChat(chatId, profile) {
    if (profile) {
      saveProfile(chatId, profile);
      await post('/chats', { chatId, ...(profile.name ? { firstName: profile.name } : {}), ...(profile.username ? { username: profile.username } : {}) });
    } else {
      localStorage.setItem('tg-sandbox-last-chat', String(chatId));
    }
    state.chatId = chatId;
    state.revision = -1;
    state.firstRender = true;
    state.seenAnswers = new Set();
    state.hiddenKeyboardSeq = null;
    setEnabled(true);
    els.input.focus();
    if (state.poll) state.poll.abort();
    const controller = new AbortController();
    state.poll = controller;
    refreshState();
    pollLoop(chatId, controller.signal);
  }

  async function pollLoop(chatId, signal) {
    while (!signal.aborted && state.chatId === chatId) {
      try {
        const res = await fetch('/__control/chats/' + chatId + '/wait?afterRevision=' + state.revision + '&timeoutMs=25000', { signal });
        const body = await res.json();
        if (signal.aborted) return;
        if (body.transcript && body.revision !== state.revision) {
          state.revision = body.revision;
          render(body.transcript);
          refreshChatList();
        }
      } catch (e) {
        if (signal.aborted) return;
        await new Promise((r) => setTimeout(r, 1500));
      }
    }
  }

  async function refreshChatList() {
    try {
      const { chats } = await api('/chats');
      const list = els.chatList;
      list.innerHTML = '';
      if (!chats.length) {
        list.innerHTML = '<li class="empty">Пока нет чатов</li>';
        return;
      }
      chats.forEach((c) => {
        const li = document.createElement('li');
        const name = c.chat.type === 'private' ? [c.chat.first_name, c.chat.last_name].filter(Boolean).join(' ') : c.chat.title;
        const preview = c.lastMessage ? (c.lastMessage.direction === 'bot' ? '🤖 ' : '') + (c.lastMessage.text || '') : 'нет сообщений';
        li.innerHTML = '<div class="chat-name"><span>' + escapeHtml(name || String(c.chat.id)) + '</span><small>' + c.chat.id + '</small></div>' +
          '<div class="chat-preview">' + escapeHtml(preview) + '</div>';
        if (c.chat.id === state.chatId) li.classList.add('active');
        li.addEventListener('click', () => openChat(c.chat.id));
        list.appendChild(li);
      });
    } catch (e) {
      /* the next refresh will try again */
    }
  }

  async function refreshState() {
    try {
      const s = await api('/state');
      state.sandbox = s;
      els.botLine.textContent = s.bot.first_name + ' · @' + s.bot.username;
      els.chatTitle.textContent = s.bot.first_name;
      const mode = s.webhook.url ? 'webhook → ' + s.webhook.url : s.polling ? 'getUpdates (бот на связи)' : 'getUpdates (бот сейчас не опрашивает)';
      els.modeLine.innerHTML = 'Доставка: <b>' + escapeHtml(mode) + '</b>';
      els.pendingLine.textContent = s.pendingUpdates ? 'Ждут доставки боту: ' + s.pendingUpdates : '';
      renderCommands(s.commands);
    } catch (e) {
      els.modeLine.textContent = 'Песочница недоступна';
    }
  }

  function renderCommands(commandsByKey) {
    const seen = new Map();
    Object.keys(commandsByKey || {}).forEach((key) => {
      const [scope, lang] = key.split('|');
      if (!/"type":"(default|all_private_chats)"/.test(scope) || (lang && lang !== 'ru')) return;
      commandsByKey[key].forEach((c) => { if (!seen.has(c.command)) seen.set(c.command, c.description); });
    });
    const popup = els.commandsPopup;
    popup.innerHTML = '';
    if (seen.size === 0) {
      popup.innerHTML = '<div class="empty">Бот не зарегистрировал команды (setMyCommands)</div>';
      return;
    }
    seen.forEach((description, command) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.innerHTML = '<b>/' + escapeHtml(command) + '</b><span>' + escapeHtml(description) + '</span>';
      b.addEventListener('click', () => {
        popup.hidden = true;
        sendText('/' + command);
      });
      popup.appendChild(b);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Wiring

  function autosize() {
    els.input.style.height = 'auto';
    els.input.style.height = Math.min(140, els.input.scrollHeight) + 'px';
  }

  els.newChat.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = Number(els.ncId.value);
    if (!Number.isSafeInteger(id) || id === 0) {
      toast('ID чата — целое число, не 0');
      return;
    }
    const profile = { name: els.ncName.value.trim(), username: els.ncUsername.value.trim().replace(/^@/, '') };
    run(() => openChat(id, profile));
  });

  els.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = els.input.value;
    els.input.value = '';
    autosize();
    sendText(text);
  });
  els.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      els.composer.requestSubmit();
    }
  });
  els.input.addEventListener('input', autosize);
  els.voiceBtn.addEventListener('click', sendVoice);

  function togglePopup(popup) {
    const open = popup.hidden;
    els.attachPopup.hidden = true;
    els.commandsPopup.hidden = true;
    popup.hidden = !open;
  }
  els.attachBtn.addEventListener('click', (e) => { e.stopPropagation(); togglePopup(els.attachPopup); });
  els.commandsBtn.addEventListener('click', (e) => { e.stopPropagation(); refreshState(); togglePopup(els.commandsPopup); });
  document.addEventListener('click', () => { els.attachPopup.hidden = true; els.commandsPopup.hidden = true; });

  els.attachPopup.addEventListener('click', (e) => {
    const kind = e.target.closest('button') && e.target.closest('button').dataset.attach;
    if (kind === 'photo') els.photoInput.click();
    if (kind === 'document') els.documentInput.click();
    if (kind === 'location') shareLocation();
    if (kind === 'contact') shareContact();
  });

  els.photoInput.addEventListener('change', () => {
    const file = els.photoInput.files[0];
    els.photoInput.value = '';
    if (!file) return;
    const caption = els.input.value.trim();
    els.input.value = '';
    autosize();
    run(async () => post('/photo', { chatId: state.chatId, imageBase64: await readFileBase64(file), ...(caption ? { caption } : {}), ...userFields() }));
  });

  els.documentInput.addEventListener('change', () => {
    const file = els.documentInput.files[0];
    els.documentInput.value = '';
    if (!file) return;
    const caption = els.input.value.trim();
    els.input.value = '';
    autosize();
    run(async () => post('/document', {
      chatId: state.chatId, base64: await readFileBase64(file), fileName: file.name, mimeType: file.type || undefined, ...(caption ? { caption } : {}), ...userFields(),
    }));
  });

  els.resetAll.addEventListener('click', () => {
    if (!window.confirm('Удалить все чаты, сообщения, файлы и очередь обновлений песочницы?')) return;
    run(async () => {
      await post('/reset', {});
      state.revision = -1;
      refreshChatList();
      refreshState();
    });
  });

  // Start: /chat?chat=ID[&name=Имя] opens that chat; else the last chat used in this browser.
  refreshState();
  refreshChatList();
  setInterval(refreshState, 4000);
  setInterval(refreshChatList, 6000);
  const query = new URLSearchParams(window.location.search);
  if (query.get('chat') && query.get('name')) saveProfile(Number(query.get('chat')), { name: query.get('name'), username: '' });
  const last = Number(query.get('chat') || localStorage.getItem('tg-sandbox-last-chat'));
  if (Number.isSafeInteger(last) && last !== 0) {
    const profile = loadProfile(last) || {};
    els.ncId.value = String(last);
    els.ncName.value = profile.name || '';
    els.ncUsername.value = profile.username ? '@' + profile.username : '';
    run(() => openChat(last, profile.name || profile.username ? profile : null));
  } else {
    els.ncId.value = String(100000 + Math.floor(Math.random() * 900000));
    els.ncName.value = 'Иван';
  }
})();
