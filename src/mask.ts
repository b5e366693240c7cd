/**
 * Masks personal data in free text before it reaches logs or the journal.
 * Phones keep the last two digits so support can still tell two numbers apart;
 * street addresses lose the house part.
 */

// +7 (912) 345-67-89, 8 912 345 67 89, 89123456789, +79123456789 and similar 10–12 digit numbers.
const PHONE = /(?<![\d])(?:\+?[78][\s\-(]*\d{3}[\s\-)]*\d{3}[\s-]*\d{2}[\s-]*\d{2}|\+\d[\d\s\-()]{9,15}\d)(?![\d])/g;

// "ул. Ленина, д. 5, кв. 12", "улица Мира 7", "пр-т Победы 10к2", "st. Main 5"
const ADDRESS =
  /(?<![\p{L}])(?:ул(?:ица)?\.?|пр(?:осп(?:ект)?|-?т)\.?|пер(?:еулок)?\.?|ш(?:оссе)?\.|б-?р|бульвар|наб(?:ережная)?\.?|пл(?:ощадь)?\.|мкр\.?|street|st\.|avenue|ave\.)\s*[\p{L}\d .\-]{1,40}?(?:,?\s*(?:д(?:ом)?\.?\s*)?\d+[\p{L}\d/\-]*)(?:,?\s*(?:кв(?:артира)?|корп(?:ус)?|стр(?:оение)?|под(?:ъезд)?|эт(?:аж)?|оф(?:ис)?)\.?\s*\d+)*/giu;

export function maskPhone(match: string): string {
  const digits = match.replace(/\D/g, '');
  return `+*** ***-**-${digits.slice(-2)}`;
}

export function maskText(text: string): string {
  return text.replace(PHONE, maskPhone).replace(ADDRESS, '[адрес скрыт]');
}

const SENSITIVE_KEYS = /^(phone|tel|telephone|mobile|address|addr|street|delivery_address|deliveryAddress|password|token|secret|authorization|x-user-token)$/i;

/** Deep copy with personal fields masked; strings everywhere get the free-text masks. */
export function maskValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) return value.map((v) => maskValue(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      out[key] = SENSITIVE_KEYS.test(key) && v != null && v !== '' ? '[скрыто]' : maskValue(v, depth + 1);
    }
    return out;
  }
  return value;
}
