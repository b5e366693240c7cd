import { maskText, maskValue } from '../mask';

/**
 * Personal-data masking for journal bodies: src/mask.ts (phones, addresses, obvious secret
 * fields) plus what integration payloads carry on top — Telegram and Bitrix24 person fields,
 * e-mails, bearer/JWT/bot tokens and Russian full names in free text. Candidates to move into
 * src/mask.ts so logs get them too.
 */

const HIDDEN = '[скрыто]';

// Key names (any case) whose values identify a person or grant access.
const PERSONAL_KEYS = new RegExp(
  '^(' +
    [
      'first_?name', 'last_?name', 'middle_?name', 'second_?name', 'full_?name', 'fio', 'фио',
      'contact_?name', 'customer_?name', 'client_?name', 'recipient(_?name)?', 'username', 'user_?name',
      'phone_?number', 'personal_(phone|mobile)', 'work_phone', 'e_?mail', 'email', 'passport', 'snils', 'inn',
      'card_?number', 'pan', 'cvv', 'cvc', 'access_?token', 'refresh_?token', 'id_?token', 'api_?key', 'jwt',
      'bearer', 'cookie', 'set-cookie', 'credentials?', 'secret_?key', 'private_?key', 'client_?secret',
      'latitude', 'longitude', 'lat', 'lng', 'lon',
    ].join('|') +
    ')$',
  'i',
);

const EMAIL = /[\p{L}\d._%+-]+@([\p{L}\d-]+(?:\.[\p{L}\d-]+)+)/gu;
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[\w.~+/-]+=*/gi;
// Telegram bot tokens inside URLs: /bot123456789:AAE…/
const BOT_TOKEN = /\bbot\d{5,}:[\w-]{30,}/g;
// "Иванов Иван Иванович", "Иван Петрович", "Петрова А. С." — where a name is recognisable.
const PATRONYMIC = '[А-ЯЁ][а-яё]+(?:ович|евич|ич|овна|евна|ична|инична)(?![\\p{L}])';
const FULL_NAME = new RegExp(`(?<![\\p{L}])(?:[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?\\s+){1,2}${PATRONYMIC}`, 'gu');
const SURNAME_INITIALS = /(?<![\p{L}])[А-ЯЁ][а-яё]+\s+[А-ЯЁ]\.\s?[А-ЯЁ]\.(?![\p{L}])/gu;

// Characters PostgreSQL jsonb refuses (NUL) or cannot encode (lone surrogates). One bad control
// character must not lose the whole record.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\ufffd');
}

export function maskJournalText(text: string): string {
  return maskText(
    storableText(text)
      .replace(BOT_TOKEN, 'bot[токен скрыт]')
      .replace(JWT, '[токен скрыт]')
      .replace(BEARER, '$1 [скрыто]')
      .replace(EMAIL, '***@$1')
      .replace(FULL_NAME, '[ФИО скрыто]')
      .replace(SURNAME_INITIALS, '[ФИО скрыто]'),
  );
}

function maskExtra(value: unknown, depth: number): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return maskJournalText(value);
  if (Array.isArray(value)) return value.map((v) => maskExtra(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      out[storableText(key)] = PERSONAL_KEYS.test(key) && v != null && v !== '' ? HIDDEN : maskExtra(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** Deep copy safe to store: journal-specific masks first, then the shared ones of src/mask.ts. */
export function maskJournalValue(value: unknown): unknown {
  // JSON round trip first: Dates, Buffers-in-objects and class instances become plain data.
  const plain = value === undefined ? undefined : (JSON.parse(JSON.stringify(value) ?? 'null') as unknown);
  return maskValue(maskExtra(plain, 0));
}
