/**
 * Telegram HTML (parse_mode HTML) done safely. node-red-contrib-telegrambot 17.0.6 has no working
 * plain-text fallback, so one unescaped `<` from a product name or a master's message would make
 * Telegram refuse the whole answer. Every text is therefore built with the `h` template: values
 * are escaped unless they are already Html.
 */

/** A piece of markup that is already safe. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | null | undefined | readonly HtmlValue[];

/** `&`, `<`, `>` (and `"` for attribute values) as Telegram's HTML parser wants them. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function piece(value: HtmlValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(piece).join('');
  return escapeHtml(String(value));
}

/** Tagged template: h`<b>${name}</b>` escapes `name` (strings, numbers), keeps Html as is. */
export function h(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += piece(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

export function raw(markup: string): Html {
  return new Html(markup);
}

export function join(parts: readonly HtmlValue[], separator: string | Html = '\n'): Html {
  const sep = separator instanceof Html ? separator.value : escapeHtml(separator);
  return new Html(parts.filter((p) => p !== null && p !== undefined).map(piece).join(sep));
}

export function bold(text: HtmlValue): Html {
  return h`<b>${text}</b>`;
}

/** Telegram's limit on a message text (UTF-16 units after parsing; the markup only adds to the raw length). */
export const MAX_MESSAGE_CHARS = 4096;

/**
 * Splits an HTML text into messages of at most `max` characters, at line boundaries (paragraphs
 * first). Tags never span lines in our texts, so every chunk stays well-formed. A single line
 * longer than `max` (not produced by the assistant, but never a crash) loses its tags and is cut
 * between words, outside entities.
 */
export function splitHtml(text: string, max = MAX_MESSAGE_CHARS): string[] {
  if (text.length <= max) return [text];
  const chunks: string[] = [];
  let current = '';
  const flush = (): void => {
    const trimmed = current.replace(/\n+$/, '');
    if (trimmed.trim()) chunks.push(trimmed);
    current = '';
  };
  for (const line of text.split('\n')) {
    const pieces = line.length > max ? cutLongLine(line, max) : [line];
    for (const p of pieces) {
      const next = current ? `${current}\n${p}` : p;
      if (next.length <= max) {
        current = next;
        continue;
      }
      flush();
      current = p;
    }
  }
  flush();
  return chunks.length ? chunks : [text.slice(0, max)];
}

function cutLongLine(line: string, max: number): string[] {
  const plain = line.replace(/<[^>]*>/g, '');
  const out: string[] = [];
  let rest = plain;
  while (rest.length > max) {
    let cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    // Never inside an entity (&amp;): back up to before its '&'.
    const amp = rest.lastIndexOf('&', cut);
    if (amp >= 0 && rest.indexOf(';', amp) >= cut) cut = amp > 0 ? amp : cut;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}

// ── callback data ───────────────────────────────────────────────────────────────────
/** Telegram's limit on callback_data, in UTF-8 bytes. */
export const MAX_CALLBACK_BYTES = 64;

/** Cuts a string to `maxBytes` of UTF-8 without splitting a character. */
export function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * `prefix:a:b:…`; the last part is shortened when the whole would exceed 64 bytes (it is the free
 * text one, e.g. a model name). Colons inside parts become spaces.
 */
export function callbackData(...parts: (string | number)[]): string {
  const clean = parts.map((p) => String(p).replace(/:/g, ' '));
  const head = clean.slice(0, -1).join(':');
  const last = clean[clean.length - 1] ?? '';
  const prefix = clean.length > 1 ? `${head}:` : '';
  const data = prefix + fitBytes(last, MAX_CALLBACK_BYTES - Buffer.byteLength(prefix));
  if (Buffer.byteLength(data) > MAX_CALLBACK_BYTES || data.length === 0) throw new RangeError(`callback data too long: ${data}`);
  return data.trimEnd();
}

// ── URLs in buttons ─────────────────────────────────────────────────────────────────
/**
 * Whether Telegram accepts the URL in an inline button: http(s) with a real host name. Telegram
 * refuses localhost, loopback and host names without a dot (`Wrong HTTP URL`), and the whole
 * message with them, so such links go into the text instead.
 */
export function isButtonUrlAllowed(url: string | undefined): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!host || host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0.0.0.0') return false;
  if (/^127\./.test(host)) return false;
  if (!host.includes('.') && !host.includes(':')) return false;
  return true;
}

/** Shortens a label for a button (Telegram shows about 30–40 characters). */
export function shortLabel(text: string, max = 40): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : `${t.slice(0, max - 1).trimEnd()}…`;
}
