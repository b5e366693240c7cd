// Cyrillic → Latin readings. Masters write model names in Cyrillic ("хонор",
// "а51", "9т", "с23"). A Cyrillic letter inside a model key can be either a
// look-alike glyph (р = p, с = c) or a phonetic spelling (с = s, т = t), so we
// produce several readings and let the vocabulary decide which one exists.

const OPTIONS: Record<string, string[]> = {
  а: ['a'], б: ['b'], в: ['v', 'b'], г: ['g'], д: ['d'], е: ['e'], ж: ['zh', 'j'], з: ['z'],
  и: ['i'], й: ['y', 'i'], к: ['k', 'c'], л: ['l'], м: ['m'], н: ['n', 'h'], о: ['o'], п: ['p'],
  р: ['r', 'p'], с: ['s', 'c'], т: ['t'], у: ['u', 'y'], ф: ['f'], х: ['h', 'x'], ц: ['c', 'ts'],
  ч: ['ch'], ш: ['sh'], щ: ['sch'], ъ: [''], ы: ['y', 'i'], ь: [''], э: ['e'], ю: ['yu', 'u'],
  я: ['ya', 'a'],
};

const MAX_READINGS = 32;

/** All Latin readings of s (bounded), first one = most common phonetic reading. */
export function latinReadings(s: string): string[] {
  let acc: string[] = [''];
  for (const ch of s) {
    const opts = OPTIONS[ch] ?? [ch];
    const next: string[] = [];
    for (const prefix of acc) {
      for (const o of opts) {
        next.push(prefix + o);
        if (next.length >= MAX_READINGS) break;
      }
      if (next.length >= MAX_READINGS) break;
    }
    acc = next;
  }
  return [...new Set(acc)];
}

/** Single most likely reading (used for explanations and fuzzy fallback). */
export function primaryReading(s: string): string {
  let out = '';
  for (const ch of s) out += (OPTIONS[ch] ?? [ch])[0];
  return out;
}
