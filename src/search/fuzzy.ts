// Typo tolerance: bounded Damerau-Levenshtein (optimal string alignment:
// insert, delete, substitute, swap adjacent) against the known vocabulary.
// Bounded = we abandon a comparison as soon as every cell of a row exceeds the
// limit, which keeps a full-vocabulary scan well under a millisecond.

/** Distance between a and b, or max+1 when it is larger than max. */
export function boundedDamerau(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  if (n === 0 || m === 0) return Math.max(n, m);
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = new Array<number>(m + 1);
  let cur = new Array<number>(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m]!;
}

/** How many edits we tolerate for a word of this length (short words: none, they collide too easily). */
export function allowedEdits(len: number): number {
  if (len < 4) return 0;
  if (len < 9) return 1;
  return 2;
}

export interface FuzzyHit {
  /** Best vocabulary words (several when equally close and equally trusted). */
  words: string[];
  distance: number;
}

interface FuzzyKey {
  targets: string[];
  priority: number;
}

/**
 * Vocabulary bucketed by length. Keys are words and, for Russian, their stems
 * (so "каммеру" finds "камера" through the stem "камер"). `priority` lets
 * dictionary words (part types, brands) win ties against incidental catalog words.
 */
export class FuzzyIndex {
  private readonly byLength = new Map<number, string[]>();
  private readonly keys = new Map<string, FuzzyKey>();
  private readonly cache = new Map<string, FuzzyHit | null>();

  /** Registers `key` as a spelling of `target` (the word itself by default). */
  add(key: string, priority = 0, target: string = key): void {
    if (key.length < 4 || !/^[a-zа-я]+$/.test(key)) return;
    const known = this.keys.get(key);
    if (known) {
      if (!known.targets.includes(target)) known.targets.push(target);
      known.priority = Math.max(known.priority, priority);
      return;
    }
    this.keys.set(key, { targets: [target], priority });
    const bucket = this.byLength.get(key.length) ?? [];
    bucket.push(key);
    this.byLength.set(key.length, bucket);
    this.cache.clear();
  }

  /** Closest vocabulary words within the allowed edit distance (word first, then its stems), or null. */
  correct(word: string, stems: string[] = []): FuzzyHit | null {
    const cacheKey = word;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    let hit = this.search(word);
    for (const s of stems) if (!hit && s !== word) hit = this.search(s);
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(cacheKey, hit);
    return hit;
  }

  private search(word: string): FuzzyHit | null {
    const max = allowedEdits(word.length);
    if (max === 0) return null;
    const latin = /[a-z]/.test(word);
    let bestD = max + 1;
    let found: { target: string; priority: number }[] = [];
    for (let len = word.length - max; len <= word.length + max; len++) {
      for (const cand of this.byLength.get(len) ?? []) {
        // Same script only: cross-script matches are the job of layout/translit.
        if (/[a-z]/.test(cand) !== latin) continue;
        const d = boundedDamerau(word, cand, Math.min(bestD, max));
        if (d > max || d > bestD) continue;
        // Two edits are only trusted when the first letter agrees (typos rarely hit it; different words often share endings).
        if (d === 2 && cand[0] !== word[0]) continue;
        if (d < bestD) {
          bestD = d;
          found = [];
        }
        const k = this.keys.get(cand)!;
        for (const t of k.targets) found.push({ target: t, priority: k.priority });
      }
    }
    // Equally close candidates are all kept (best trusted first): context decides between them.
    found.sort((a, b) => b.priority - a.priority);
    const best = [...new Set(found.map((f) => f.target))];
    return best.length ? { words: best, distance: bestD } : null;
  }
}
