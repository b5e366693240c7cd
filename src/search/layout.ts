// Wrong keyboard layout: a master types "frrevekznjh" meaning "аккумулятор" (Russian
// word on the Latin layout) or "ыфьыгтп" meaning "samsung" (Latin word on the
// Russian layout). This module only converts; the decision whether the
// converted form is better is taken by the normaliser using vocabulary hits.

const LATIN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`{}:\"<>~";
const RUSSIAN = 'йцукенгшщзхъфывапролджэячсмитьбюёхъжэбюё';

const LAT_TO_RU = new Map<string, string>();
const RU_TO_LAT = new Map<string, string>();
for (let i = 0; i < LATIN.length; i++) {
  LAT_TO_RU.set(LATIN[i]!, RUSSIAN[i]!);
  // Only the unshifted keys define the reverse map, so "х" goes back to "[".
  if (!RU_TO_LAT.has(RUSSIAN[i]!)) RU_TO_LAT.set(RUSSIAN[i]!, LATIN[i]!);
}

/** Text typed on the Latin layout while meaning Russian. Digits and unknown chars pass through. */
export function latinToRussianLayout(s: string): string {
  let out = '';
  for (const ch of s) out += LAT_TO_RU.get(ch) ?? ch;
  return out;
}

/** Text typed on the Russian layout while meaning Latin. */
export function russianToLatinLayout(s: string): string {
  let out = '';
  for (const ch of s) out += RU_TO_LAT.get(ch) ?? ch;
  return out;
}

/** True when every letter/punctuation char of s is a key of the Latin layout (so it may be mistyped Russian). */
export function isLatinLayoutText(s: string): boolean {
  return /[a-z]/.test(s) && [...s].every((ch) => LAT_TO_RU.has(ch) || /[0-9\-]/.test(ch));
}

export function isRussianLayoutText(s: string): boolean {
  return /[а-я]/.test(s) && [...s].every((ch) => RU_TO_LAT.has(ch) || /[0-9\-]/.test(ch));
}
