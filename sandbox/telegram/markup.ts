import { badRequest } from './errors';
import type { TgMessageEntity } from './types';
import { isRejectedHttpUrl } from './urls';

/**
 * Text formatting the way Telegram's server (TDLib) parses it: `parse_mode` MarkdownV2, the legacy
 * Markdown and HTML turn the sent text into plain text plus entities (UTF-16 offsets), and bad
 * markup fails with `400 Bad Request: can't parse entities: <TDLib's reason>`, byte offsets in
 * UTF-8 like the real server. The rules follow the Bot API "Formatting options" section.
 */

export interface FormattedText {
  text: string;
  entities: TgMessageEntity[];
}

class MarkupError extends Error {}

const fail = (reason: string): never => {
  throw new MarkupError(reason);
};

/** Code points of the text with the UTF-8 byte offset of each, as TDLib reports positions. */
function codePoints(text: string): { cps: string[]; bytes: number[] } {
  const cps = Array.from(text);
  const bytes: number[] = [];
  let at = 0;
  for (const cp of cps) {
    bytes.push(at);
    at += Buffer.byteLength(cp, 'utf8');
  }
  bytes.push(at);
  return { cps, bytes };
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** What TDLib's check_url accepts for a text link; a refused link is dropped, not an error. */
function linkUrl(raw: string): string | undefined {
  const url = raw.trim();
  if (!url) return undefined;
  if (/^tg:\/\//i.test(url)) return url;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  if (!/^(https?|ftp|ton):\/\//i.test(withScheme)) return undefined;
  if (isRejectedHttpUrl(withScheme)) return undefined;
  try {
    return new URL(withScheme).href;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------
// MarkdownV2

type V2Type = 'Bold' | 'Italic' | 'Underline' | 'Strikethrough' | 'Spoiler' | 'Code' | 'Pre' | 'PreCode' | 'TextUrl' | 'CustomEmoji';

interface OpenEntity {
  type: V2Type;
  argument: string;
  offset: number;
  byteOffset: number;
}

const V2_RESERVED = '_*[]()~`>#+-=|{}.!';

const V2_ENTITY: Record<V2Type, string> = {
  Bold: 'bold',
  Italic: 'italic',
  Underline: 'underline',
  Strikethrough: 'strikethrough',
  Spoiler: 'spoiler',
  Code: 'code',
  Pre: 'pre',
  PreCode: 'pre',
  TextUrl: 'text_link',
  CustomEmoji: 'custom_emoji',
};

function parseMarkdownV2(source: string): FormattedText {
  const { cps, bytes } = codePoints(source);
  const at = (i: number): string | undefined => cps[i];
  const reservedError = (c: string): never => fail(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
  let result = '';
  const entities: TgMessageEntity[] = [];
  const nested: OpenEntity[] = [];
  let quoteStart: number | undefined;

  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    const top = nested[nested.length - 1];
    const inCode = top !== undefined && (top.type === 'Code' || top.type === 'Pre' || top.type === 'PreCode');

    // "> text" at the start of a line: a block quotation (outside code).
    if (!inCode && c === '>' && (i === 0 || cps[i - 1] === '\n')) {
      if (quoteStart === undefined) quoteStart = result.length;
      continue;
    }
    if (c === '\n' && quoteStart !== undefined && at(i + 1) !== '>') {
      if (result.length > quoteStart) entities.push({ type: 'blockquote', offset: quoteStart, length: result.length - quoteStart });
      quoteStart = undefined;
    }

    const next = at(i + 1);
    if (c === '\\' && next !== undefined && next.length === 1 && next.charCodeAt(0) > 0 && next.charCodeAt(0) <= 126) {
      result += next;
      i++;
      continue;
    }
    const reserved = inCode ? '`' : V2_RESERVED;
    if (!reserved.includes(c)) {
      result += c;
      continue;
    }

    let isEnd = false;
    if (top) {
      switch (top.type) {
        case 'Bold':
          isEnd = c === '*';
          break;
        case 'Italic':
          isEnd = c === '_' && next !== '_';
          break;
        case 'Code':
          isEnd = c === '`';
          break;
        case 'Pre':
        case 'PreCode':
          isEnd = c === '`' && next === '`' && at(i + 2) === '`';
          break;
        case 'TextUrl':
        case 'CustomEmoji':
          isEnd = c === ']';
          break;
        case 'Underline':
          isEnd = c === '_' && next === '_';
          break;
        case 'Strikethrough':
          isEnd = c === '~';
          break;
        case 'Spoiler':
          isEnd = c === '|' && next === '|';
          break;
      }
    }

    if (!isEnd) {
      const byteOffset = bytes[i];
      let type: V2Type;
      let argument = '';
      switch (c) {
        case '_':
          if (next === '_') {
            type = 'Underline';
            i++;
          } else {
            type = 'Italic';
          }
          break;
        case '*':
          type = 'Bold';
          break;
        case '~':
          type = 'Strikethrough';
          break;
        case '|':
          if (next !== '|') return reservedError(c);
          i++;
          type = 'Spoiler';
          break;
        case '[':
          type = 'TextUrl';
          break;
        case '`':
          if (next === '`' && at(i + 2) === '`') {
            i += 3;
            type = 'Pre';
            let languageEnd = i;
            while (languageEnd < cps.length && !isSpace(cps[languageEnd]) && cps[languageEnd] !== '`') languageEnd++;
            if (i !== languageEnd && languageEnd < cps.length && cps[languageEnd] !== '`') {
              type = 'PreCode';
              argument = cps.slice(i, languageEnd).join('');
              i = languageEnd;
            }
            const here = at(i);
            if (here === '\n' || here === '\r') {
              const after = at(i + 1);
              if ((after === '\n' || after === '\r') && after !== here) i += 2;
              else i++;
            }
            i--;
          } else {
            type = 'Code';
          }
          break;
        case '!':
          if (next === '[') {
            i++;
            type = 'CustomEmoji';
            break;
          }
          return reservedError(c);
        default:
          return reservedError(c);
      }
      nested.push({ type, argument, offset: result.length, byteOffset });
      continue;
    }

    // The end of the innermost entity.
    const open = nested.pop() as OpenEntity;
    let skip = result.length === open.offset;
    let url: string | undefined;
    let customEmojiId: string | undefined;
    switch (open.type) {
      case 'Underline':
      case 'Spoiler':
        i++;
        break;
      case 'Pre':
      case 'PreCode':
        i += 2;
        break;
      case 'TextUrl':
      case 'CustomEmoji': {
        let target = '';
        if (at(i + 1) !== '(') {
          if (open.type === 'CustomEmoji') return fail('Custom emoji entity must contain a tg://emoji URL');
          target = result.slice(open.offset);
        } else {
          i += 2;
          const urlBegin = bytes[Math.min(i, cps.length)];
          while (i < cps.length && cps[i] !== ')') {
            const n = at(i + 1);
            if (cps[i] === '\\' && n !== undefined && n.length === 1 && n.charCodeAt(0) > 0 && n.charCodeAt(0) <= 126) {
              target += n;
              i += 2;
              continue;
            }
            target += cps[i++];
          }
          if (at(i) !== ')') return fail(`Can't find end of a URL at byte offset ${urlBegin}`);
        }
        if (open.type === 'CustomEmoji') {
          const m = /^tg:\/\/emoji\?id=(\d+)$/.exec(target);
          if (!m) return fail('Custom emoji URL must have an emoji identifier');
          customEmojiId = m[1];
        } else {
          url = linkUrl(target);
          if (url === undefined) skip = true;
        }
        break;
      }
      default:
        break;
    }
    if (!skip) {
      const entity: TgMessageEntity = { type: V2_ENTITY[open.type], offset: open.offset, length: result.length - open.offset };
      if (url !== undefined) entity.url = url;
      if (customEmojiId !== undefined) entity.custom_emoji_id = customEmojiId;
      if (open.type === 'PreCode') entity.language = open.argument;
      entities.push(entity);
    }
  }
  if (nested.length > 0) {
    const open = nested[nested.length - 1];
    return fail(`Can't find end of ${open.type} entity at byte offset ${open.byteOffset}`);
  }
  if (quoteStart !== undefined && result.length > quoteStart) {
    entities.push({ type: 'blockquote', offset: quoteStart, length: result.length - quoteStart });
  }
  return { text: result, entities };
}

// ------------------------------------------------------------------------------------------------
// Markdown (legacy)

function parseMarkdown(source: string): FormattedText {
  const { cps, bytes } = codePoints(source);
  let result = '';
  const entities: TgMessageEntity[] = [];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    const next = cps[i + 1];
    if (c === '\\' && (next === '_' || next === '*' || next === '`' || next === '[')) {
      result += next;
      i++;
      continue;
    }
    if (c !== '_' && c !== '*' && c !== '`' && c !== '[') {
      result += c;
      continue;
    }
    const beginByte = bytes[i];
    let endCharacter = c === '[' ? ']' : c;
    let isPre = false;
    let language = '';
    i++;
    if (c === '`' && cps[i] === '`' && cps[i + 1] === '`') {
      i += 2;
      isPre = true;
      let languageEnd = i;
      while (languageEnd < cps.length && !isSpace(cps[languageEnd]) && cps[languageEnd] !== '`') languageEnd++;
      if (i !== languageEnd && languageEnd < cps.length && cps[languageEnd] !== '`') {
        language = cps.slice(i, languageEnd).join('');
        i = languageEnd;
      }
      endCharacter = '`';
    }
    const offset = result.length;
    while (i < cps.length && (cps[i] !== endCharacter || (isPre && !(cps[i + 1] === '`' && cps[i + 2] === '`')))) {
      result += cps[i++];
    }
    if (i >= cps.length) return fail(`Can't find end of the entity starting at byte offset ${beginByte}`);
    if (offset !== result.length) {
      switch (c) {
        case '_':
          entities.push({ type: 'italic', offset, length: result.length - offset });
          break;
        case '*':
          entities.push({ type: 'bold', offset, length: result.length - offset });
          break;
        case '[': {
          let target = '';
          if (cps[i + 1] === '(') {
            i += 2;
            while (i < cps.length && cps[i] !== ')') target += cps[i++];
          } else {
            target = result.slice(offset);
          }
          const url = linkUrl(target);
          if (url !== undefined) entities.push({ type: 'text_link', offset, length: result.length - offset, url });
          break;
        }
        case '`':
          if (isPre) {
            const entity: TgMessageEntity = { type: 'pre', offset, length: result.length - offset };
            if (language) entity.language = language;
            entities.push(entity);
          } else {
            entities.push({ type: 'code', offset, length: result.length - offset });
          }
          break;
      }
    }
    if (isPre) i += 2;
  }
  return { text: result, entities };
}

// ------------------------------------------------------------------------------------------------
// HTML

const HTML_TAGS = new Set([
  'a', 'b', 'strong', 'i', 'em', 'pre', 'code', 'u', 'ins', 's', 'strike', 'del', 'tg-spoiler', 'tg-emoji', 'span', 'blockquote',
]);

const HTML_ENTITY: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  code: 'code',
  pre: 'pre',
  a: 'text_link',
  'tg-emoji': 'custom_emoji',
  blockquote: 'blockquote',
};

interface OpenTag {
  tag: string;
  argument: string;
  offset: number;
  expandable?: boolean;
}

/** Decodes `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric references; anything else stays as typed. */
function decodeEntityAt(cps: string[], i: number): { text: string; next: number } | undefined {
  let j = i + 1;
  let name = '';
  while (j < cps.length && j - i <= 10 && /[a-zA-Z0-9#]/.test(cps[j])) name += cps[j++];
  if (cps[j] !== ';') return undefined;
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
  if (named[name] !== undefined) return { text: named[name], next: j + 1 };
  const m = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(name);
  if (!m) return undefined;
  const code = m[1].startsWith('x') ? parseInt(m[1].slice(1), 16) : parseInt(m[1], 10);
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return { text: String.fromCodePoint(code), next: j + 1 };
}

function parseHtml(source: string): FormattedText {
  const { cps, bytes } = codePoints(source);
  let result = '';
  const entities: TgMessageEntity[] = [];
  const nested: OpenTag[] = [];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    if (c === '&') {
      const decoded = decodeEntityAt(cps, i);
      if (decoded) {
        result += decoded.text;
        i = decoded.next - 1;
        continue;
      }
      result += c;
      continue;
    }
    if (c !== '<') {
      result += c;
      continue;
    }
    const beginByte = bytes[i];
    i++;
    if (cps[i] !== '/') {
      // A start tag.
      let nameEnd = i;
      while (nameEnd < cps.length && !isSpace(cps[nameEnd]) && cps[nameEnd] !== '>') nameEnd++;
      const tag = cps.slice(i, nameEnd).join('').toLowerCase();
      if (!HTML_TAGS.has(tag)) return fail(`Unsupported start tag "${tag}" at byte offset ${beginByte}`);
      i = nameEnd;
      const attributes = new Map<string, string>();
      let expandable = false;
      while (cps[i] !== '>') {
        while (i < cps.length && isSpace(cps[i])) i++;
        if (cps[i] === '>') break;
        if (i >= cps.length) return fail(`Unclosed start tag at byte offset ${beginByte}`);
        const attributeBegin = bytes[i];
        let attrEnd = i;
        while (attrEnd < cps.length && !isSpace(cps[attrEnd]) && cps[attrEnd] !== '=' && cps[attrEnd] !== '>') attrEnd++;
        const attribute = cps.slice(i, attrEnd).join('').toLowerCase();
        if (!attribute) return fail(`Empty attribute name in the tag "${tag}" at byte offset ${attributeBegin}`);
        i = attrEnd;
        while (i < cps.length && isSpace(cps[i])) i++;
        if (cps[i] !== '=') {
          if (tag === 'blockquote' && attribute === 'expandable') {
            expandable = true;
            continue;
          }
          return fail(`Expected equal sign in declaration of an attribute of the tag "${tag}" at byte offset ${beginByte}`);
        }
        i++;
        while (i < cps.length && isSpace(cps[i])) i++;
        if (i >= cps.length) return fail(`Unclosed start tag at byte offset ${beginByte}`);
        let value = '';
        const quote = cps[i];
        if (quote !== '"' && quote !== "'") {
          while (i < cps.length && /[a-zA-Z0-9._\-:/?=&#%+]/.test(cps[i])) value += cps[i++];
          if (i >= cps.length) return fail(`Unclosed start tag at byte offset ${beginByte}`);
        } else {
          i++;
          while (i < cps.length && cps[i] !== quote) {
            if (cps[i] === '&') {
              const decoded = decodeEntityAt(cps, i);
              if (decoded) {
                value += decoded.text;
                i = decoded.next;
                continue;
              }
            }
            value += cps[i++];
          }
          if (i >= cps.length) return fail(`Unclosed start tag at byte offset ${beginByte}`);
          i++;
        }
        attributes.set(attribute, value);
      }
      let argument = '';
      if (tag === 'a') argument = attributes.get('href') ?? '';
      else if (tag === 'code') argument = (attributes.get('class') ?? '').replace(/^language-/, '');
      else if (tag === 'tg-emoji') argument = attributes.get('emoji-id') ?? '';
      else if (tag === 'span' && attributes.get('class') !== 'tg-spoiler') {
        return fail(`Tag "span" must have class "tg-spoiler" at byte offset ${beginByte}`);
      }
      nested.push({ tag, argument, offset: result.length, expandable });
      continue;
    }

    // An end tag.
    if (nested.length === 0) return fail(`Unexpected end tag at byte offset ${beginByte}`);
    i++;
    let nameEnd = i;
    while (nameEnd < cps.length && !isSpace(cps[nameEnd]) && cps[nameEnd] !== '>') nameEnd++;
    const endTag = cps.slice(i, nameEnd).join('').toLowerCase();
    i = nameEnd;
    while (i < cps.length && isSpace(cps[i])) i++;
    if (cps[i] !== '>') return fail(`Unclosed end tag at byte offset ${beginByte}`);
    const open = nested[nested.length - 1];
    if (endTag && endTag !== open.tag) {
      return fail(`Unmatched end tag at byte offset ${beginByte}, expected "</${open.tag}>", found "</${endTag}>"`);
    }
    nested.pop();
    const length = result.length - open.offset;
    if (length === 0) continue;
    if (open.tag === 'a') {
      const url = linkUrl(open.argument);
      if (url !== undefined) entities.push({ type: 'text_link', offset: open.offset, length, url });
    } else if (open.tag === 'tg-emoji') {
      if (!/^\d+$/.test(open.argument)) return fail('Invalid custom emoji identifier specified');
      entities.push({ type: 'custom_emoji', offset: open.offset, length, custom_emoji_id: open.argument });
    } else if (open.tag === 'code') {
      // <pre><code class="language-x"> is a pre block with a language.
      const parent = nested[nested.length - 1];
      if (parent?.tag === 'pre' && open.argument && parent.offset === open.offset) {
        parent.argument = open.argument;
      } else {
        entities.push({ type: 'code', offset: open.offset, length });
      }
    } else if (open.tag === 'pre') {
      const entity: TgMessageEntity = { type: 'pre', offset: open.offset, length };
      if (open.argument) entity.language = open.argument;
      entities.push(entity);
    } else if (open.tag === 'blockquote') {
      entities.push({ type: open.expandable ? 'expandable_blockquote' : 'blockquote', offset: open.offset, length });
    } else {
      entities.push({ type: HTML_ENTITY[open.tag], offset: open.offset, length });
    }
  }
  if (nested.length > 0) return fail(`Can't find end tag corresponding to start tag "${nested[nested.length - 1].tag}"`);
  return { text: result, entities };
}

// ------------------------------------------------------------------------------------------------

/** Strips leading and trailing white space as Telegram does, moving the entities along. */
function trimFormatted(input: FormattedText): FormattedText {
  const leading = input.text.length - input.text.replace(/^\s+/, '').length;
  const text = input.text.trim();
  const end = text.length;
  const entities: TgMessageEntity[] = [];
  for (const e of input.entities) {
    const start = Math.max(0, e.offset - leading);
    const stop = Math.min(end, e.offset + e.length - leading);
    if (stop > start) entities.push({ ...e, offset: start, length: stop - start });
  }
  return { text, entities };
}

const AUTO_PATTERNS: Array<{ type: string; re: RegExp }> = [
  { type: 'bot_command', re: /(?<![\w/])\/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/])/g },
  { type: 'url', re: /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]]/gi },
  { type: 'mention', re: /(?<![\w@])@[a-zA-Z0-9_]{5,32}\b/g },
  { type: 'hashtag', re: /(?<![\w#])#[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*/gu },
];

/** Adds the entities Telegram finds by itself (commands, links, mentions, hashtags). */
export function withAutoEntities(text: string, entities: TgMessageEntity[] = []): TgMessageEntity[] {
  const out = [...entities];
  for (const { type, re } of AUTO_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const offset = m.index;
      const length = m[0].length;
      const overlaps = out.some((e) => offset < e.offset + e.length && e.offset < offset + length && e.type !== 'bold' && e.type !== 'italic' && e.type !== 'underline' && e.type !== 'strikethrough' && e.type !== 'spoiler');
      if (!overlaps) out.push({ type, offset, length });
    }
  }
  return sortEntities(out);
}

export function sortEntities(entities: TgMessageEntity[]): TgMessageEntity[] {
  return [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
}

/** Normalises Telegram's accepted spellings of parse_mode ('HTML', 'markdownv2'…); undefined = none. */
export function normaliseParseMode(parseMode: string | undefined): 'MarkdownV2' | 'Markdown' | 'HTML' | undefined {
  if (parseMode === undefined) return undefined;
  switch (parseMode.trim().toLowerCase()) {
    case '':
    case 'none':
      return undefined;
    case 'markdownv2':
      return 'MarkdownV2';
    case 'markdown':
      return 'Markdown';
    case 'html':
      return 'HTML';
    default:
      throw badRequest('unsupported parse_mode');
  }
}

/**
 * Parses `text` under `parseMode` (or takes explicit `entities`), trims it, and checks it is not
 * empty and not longer than `maxLength` UTF-16 units. `field` names the text in error messages.
 */
export function formatText(
  source: string | undefined,
  parseMode: string | undefined,
  options: { field: 'text' | 'caption'; maxLength: number; explicitEntities?: TgMessageEntity[]; allowEmpty?: boolean },
): FormattedText {
  const mode = normaliseParseMode(parseMode);
  const raw = source ?? '';
  let parsed: FormattedText;
  if (mode === undefined) {
    parsed = { text: raw, entities: options.explicitEntities ?? [] };
  } else {
    try {
      parsed = mode === 'MarkdownV2' ? parseMarkdownV2(raw) : mode === 'Markdown' ? parseMarkdown(raw) : parseHtml(raw);
    } catch (error) {
      if (error instanceof MarkupError) throw badRequest(`can't parse entities: ${error.message}`);
      throw error;
    }
  }
  const trimmed = trimFormatted(parsed);
  if (!trimmed.text && !options.allowEmpty) {
    throw options.field === 'text' ? badRequest('message text is empty') : badRequest('message caption is empty');
  }
  if (trimmed.text.length > options.maxLength) {
    throw options.field === 'text' ? badRequest('message is too long') : badRequest('message caption is too long');
  }
  return { text: trimmed.text, entities: withAutoEntities(trimmed.text, trimmed.entities) };
}
