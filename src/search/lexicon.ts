// Stem-aware word maps and a multi-word phrase matcher. Dictionary phrases
// ("стекло задней крышки") must match any inflection and a little freedom of
// word order ("камеры стекло"), because masters type fast and voice transcripts
// reorder words.
import { adjectiveForms, stemCandidates } from './text';

/** Map from a word (in any inflection) to values. */
export class StemMap<T> {
  private readonly exact = new Map<string, T[]>();
  private readonly stems = new Map<string, T[]>();

  add(word: string, value: T): void {
    push(this.exact, word, value);
    for (const s of indexStems(word)) push(this.stems, s, value);
  }

  /** Values whose word equals `word` exactly; failing that, values sharing a stem. */
  get(word: string): T[] {
    const ex = this.exact.get(word);
    if (ex) return ex;
    const out: T[] = [];
    for (const s of stemCandidates(word)) for (const v of this.stems.get(s) ?? []) if (!out.includes(v)) out.push(v);
    return out;
  }

  /** Exact values first, then every value sharing a stem (phrase words need all inflections). */
  getAll(word: string): T[] {
    const out = [...(this.exact.get(word) ?? [])];
    for (const s of stemCandidates(word)) for (const v of this.stems.get(s) ?? []) if (!out.includes(v)) out.push(v);
    return out;
  }

  has(word: string): boolean {
    return this.get(word).length > 0;
  }

  words(): IterableIterator<string> {
    return this.exact.keys();
  }
}

/**
 * Stems a dictionary word is reachable by: its true stems, and itself when long
 * enough. A short word ("ред", "акб") is only matched exactly, otherwise it
 * would be the "stem" of unrelated longer words ("реди").
 */
export function indexStems(word: string): string[] {
  return stemCandidates(word).filter((s) => s !== word || word.length >= 4);
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (!list) m.set(k, [v]);
  else if (!list.includes(v)) list.push(v);
}

/** What a phrase matcher needs to know about a query token. */
export interface MatchableToken {
  text: string;
  alts: string[];
}

export interface PhraseHit<T> {
  payload: T;
  positions: number[];
  /** How many words matched only through an alternative reading (typo guesses). */
  viaAlt: number;
}

interface Entry<T> {
  words: string[];
  payload: T;
}

/**
 * Finds dictionary phrases in a token sequence. Longest phrases win, then those
 * read from the tokens' primary forms; each token is used at most once, and the
 * words of a phrase may come in any order within a window of (length + 2).
 */
export class PhraseMatcher<T> {
  private readonly entries: Entry<T>[] = [];
  private readonly index = new StemMap<[number, number]>();

  add(words: string[], payload: T): void {
    const id = this.entries.length;
    this.entries.push({ words, payload });
    // Adjectives are indexed in every gender ("задняя" also as заднее/задний), stems alone miss some of them.
    words.forEach((w, wi) => [w, ...adjectiveForms(w)].forEach((form) => this.index.add(form, [id, wi])));
  }

  /** Greedy best-first matching; `used` marks tokens already consumed and is updated. */
  match(tokens: MatchableToken[], used: boolean[]): PhraseHit<T>[] {
    const cands = this.candidates(tokens, used);
    cands.sort(
      (a, b) =>
        b.positions.length - a.positions.length ||
        a.viaAlt - b.viaAlt ||
        span(a.positions) - span(b.positions) ||
        Math.min(...a.positions) - Math.min(...b.positions),
    );
    const hits: PhraseHit<T>[] = [];
    for (const c of cands) {
      if (c.positions.some((p) => used[p])) continue;
      c.positions.forEach((p) => (used[p] = true));
      hits.push(c);
    }
    return hits;
  }

  private candidates(tokens: MatchableToken[], used: boolean[]): PhraseHit<T>[] {
    // entry id -> word index -> (token position -> matched via an alternative only?)
    const slots = new Map<number, Map<number, boolean>[]>();
    tokens.forEach((tok, pos) => {
      if (used[pos]) return;
      [tok.text, ...tok.alts].forEach((form, fi) => {
        for (const [id, wi] of this.index.getAll(form)) {
          const e = this.entries[id]!;
          const s = slots.get(id) ?? e.words.map(() => new Map<number, boolean>());
          const slot = s[wi]!;
          slot.set(pos, (slot.get(pos) ?? true) && fi > 0);
          slots.set(id, s);
        }
      });
    });
    const out: PhraseHit<T>[] = [];
    for (const [id, s] of slots) {
      const positions = assign(s.map((m) => [...m.keys()]));
      if (!positions || span(positions) > positions.length + 1) continue;
      const viaAlt = positions.filter((p, wi) => s[wi]!.get(p)).length;
      out.push({ payload: this.entries[id]!.payload, positions, viaAlt });
    }
    return out;
  }
}

const span = (p: number[]): number => Math.max(...p) - Math.min(...p);

/** Picks one distinct token per phrase word, preferring a compact window; null if impossible. */
function assign(slots: number[][]): number[] | null {
  if (slots.some((s) => s.length === 0)) return null;
  let best: number[] | null = null;
  const walk = (i: number, acc: number[]): void => {
    if (i === slots.length) {
      if (!best || span(acc) < span(best)) best = [...acc];
      return;
    }
    for (const p of slots[i]!) if (!acc.includes(p)) walk(i + 1, [...acc, p]);
  };
  walk(0, []);
  return best;
}
