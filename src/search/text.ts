// Low-level text helpers shared by the index and the query pipeline.
// Index and query MUST go through the same functions, otherwise a word typed
// exactly as it appears in a product name could fail to match.

/** Lower-case and fold ё→е (catalog names and masters use both spellings). */
export function foldCase(s: string): string {
  return s.toLowerCase().replace(/ё/g, 'е');
}

export const hasCyrillic = (s: string): boolean => /[а-я]/.test(s);
export const hasLatin = (s: string): boolean => /[a-z]/.test(s);
export const hasDigit = (s: string): boolean => /[0-9]/.test(s);
export const isDigits = (s: string): boolean => /^[0-9]+$/.test(s);
export const isAlpha = (s: string): boolean => /^[a-zа-я]+$/.test(s);
export const isCyrillicWord = (s: string): boolean => /^[а-я]+$/.test(s);

/**
 * Splits one whitespace-free chunk into words.
 * Hyphenated/slashed parts are glued back when the result looks like a part or
 * model code ("EB-BA217ABY", "SM-A715F", "T-7000") because catalog names and
 * users write such codes with and without the hyphen; purely alphabetic compounds
 * ("SIM-карты", "Термо-коврик") stay separate words.
 */
export function splitChunk(chunk: string): string[] {
  const out: string[] = [];
  const withPlus = chunk.replace(/\+/g, ' plus ');
  for (const part of withPlus.split(/[^a-zа-я0-9\-]+/)) {
    if (!part) continue;
    const segs = part.split('-').filter(Boolean);
    let cur = '';
    for (const seg of segs) {
      if (cur && shouldGlue(cur, seg)) cur += seg;
      else {
        if (cur) out.push(cur);
        cur = seg;
      }
    }
    if (cur) out.push(cur);
  }
  return out;
}

/** Code-like glue: a letters+digits code split by a hyphen ("bl-49lt", "ут-00012345"). */
function shouldGlue(left: string, right: string): boolean {
  if (!hasDigit(left) && !hasDigit(right)) return false;
  const latinish = (s: string) => /^[a-z0-9]+$/.test(s);
  if (latinish(left) && latinish(right)) return true;
  // Cyrillic prefix + digits, e.g. 1C code "ут-00012345" or "пос-61".
  return /^[а-я]{1,4}$/.test(left) && isDigits(right);
}

/** Compact key of a code as typed: lower-case, only letters and digits. */
export function compactCode(s: string): string {
  return foldCase(s).replace(/[^a-zа-я0-9]/g, '');
}

// Russian inflection endings, longest first. We do not lemmatise: we generate
// every stem a word could have and let index and query meet on a shared stem,
// which is robust for the handful of cases a parts catalog needs
// (дисплей/дисплея/дисплеи, красный/красная, крышка/крышки).
const ENDINGS = [
  'иями', 'ями', 'ами', 'ией', 'иям', 'ием', 'иях', 'ого', 'его', 'ому', 'ему', 'ыми', 'ими',
  'ая', 'яя', 'ое', 'ее', 'ые', 'ие', 'ый', 'ий', 'ой', 'ей', 'ую', 'юю', 'ам', 'ям', 'ах', 'ях',
  'ом', 'ем', 'ов', 'ев', 'ью', 'ия', 'ья', 'ию', 'ых', 'их', 'ым', 'им', 'ою', 'ею',
  'а', 'я', 'о', 'е', 'ы', 'и', 'у', 'ю', 'ь', 'й',
];
const MIN_STEM = 3;

/** The word itself plus every plausible stem (Cyrillic words only). */
export function stemCandidates(word: string): string[] {
  if (word.length < MIN_STEM + 1 || !isCyrillicWord(word)) return [word];
  const out = [word];
  for (const end of ENDINGS) {
    if (word.length - end.length >= MIN_STEM && word.endsWith(end)) out.push(word.slice(0, -end.length));
  }
  return out;
}

/**
 * Other gender/number forms of a Russian adjective ("белый" → белая, белое,
 * белые, белую). Used to give typo correction targets for inflected colours and
 * part adjectives ("беая" → белая); stems alone are too short for that.
 */
export function adjectiveForms(word: string): string[] {
  const m = /^(.{3,})(ый|ий|ой)$/.exec(word);
  if (!m) return [];
  const stem = m[1]!;
  const soft = m[2] === 'ий' && !/[кгхжшщч]$/.test(stem);
  return soft ? [stem + 'яя', stem + 'ее', stem + 'ие', stem + 'юю'] : [stem + 'ая', stem + 'ое', stem + 'ые', stem + 'ую'];
}
