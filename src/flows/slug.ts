/**
 * File-name slugs for tabs and subflows. Labels are Russian more often than not, so Cyrillic is
 * transliterated (a readable "zakazy.json" beats "-----.json" in a git diff).
 */

const CYRILLIC: Readonly<Record<string, string>> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y',
  к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f',
  х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
  // Ukrainian and Belarusian letters, so a colleague's label still yields a sensible name.
  і: 'i', ї: 'yi', є: 'ye', ґ: 'g', ў: 'u',
};

/** Long labels would make unwieldy paths; 50 characters keep names recognisable. */
const MAX_SLUG_LENGTH = 50;

export function transliterate(text: string): string {
  let out = '';
  for (const ch of text.toLowerCase()) out += CYRILLIC[ch] ?? ch;
  return out;
}

/** "Заказы / Неси (COD)" → "zakazy-nesi-cod"; may return '' when nothing usable is left. */
export function slugify(label: string): string {
  const ascii = transliterate(label)
    // Latin letters with accents keep their base letter ("café" → "cafe").
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
  return ascii
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/g, '');
}

/** A short, file-name-safe piece of a node id, used to tell apart tabs that share a label. */
export function shortId(id: string, length = 6): string {
  return id.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, length) || 'x';
}
