// Everything the query normaliser may recognise: catalog words, dictionary
// words, aliases, model keys and codes, number words. Recognition drives the
// decisions that have no other signal: is "frrevekznjh" mistyped Russian? is "а"
// the letter A of "а71"? is "аккамулятор" a typo of a word we know?
import type { Dictionaries } from './dictionaries';
import { FuzzyIndex } from './fuzzy';
import { indexStems, StemMap } from './lexicon';
import { foldCase, splitChunk, stemCandidates } from './text';

/** Fuzzy tie-break priorities: dictionary words beat incidental catalog words. */
export const PRIORITY = { catalog: 1, dictionary: 3, alias: 4 } as const;

export class Vocabulary {
  readonly fuzzy = new FuzzyIndex();
  private readonly exact = new Set<string>();
  private readonly stems = new Set<string>();
  private readonly aliases = new StemMap<string>();
  private readonly stop = new Set<string>();
  private readonly numberWords = new StemMap<number>();
  private readonly multipliers = new Map<string, number>();
  private readonly mergeKeys = new Set<string>();

  /** Adds a known word (all its inflections become known); typos of it are corrected to `base` (itself by default). */
  addWord(word: string, priority: number = PRIORITY.catalog, base: string = word): void {
    if (!word) return;
    if (!this.exact.has(word)) {
      this.exact.add(word);
      for (const s of indexStems(word)) this.stems.add(s);
    }
    this.fuzzy.add(word, priority, base);
    // Stems let an inflected typo ("каммеру") reach the word ("камера") through "камер".
    for (const s of stemCandidates(word)) if (s !== word && s.length >= 4) this.fuzzy.add(s, priority, base);
  }

  /** Adds every word of a free-text phrase. */
  addText(text: string, priority: number = PRIORITY.catalog): void {
    for (const chunk of foldCase(text).split(/\s+/)) for (const w of splitChunk(chunk)) this.addWord(w, priority);
  }

  /** `from` (slang / Cyrillic spelling) is read as `to`. */
  addAlias(from: string, to: string): void {
    const f = foldCase(from);
    this.aliases.add(f, to);
    this.addWord(f, PRIORITY.alias);
    this.addWord(to, PRIORITY.dictionary);
  }

  addStopword(w: string): void {
    this.stop.add(w);
    // Stopwords are known (so they are not "corrected") but never fuzzy targets.
    this.exact.add(w);
  }

  /** A token that may be glued from two typed pieces ("bn 46", "a 51", "9 a"). */
  addMergeKey(k: string): void {
    this.mergeKeys.add(k);
    this.exact.add(k);
  }

  loadNumbers(numbers: Dictionaries['numbers']): void {
    for (const [w, v] of Object.entries(numbers.values)) {
      this.numberWords.add(w, v);
      this.addWord(w, PRIORITY.dictionary);
    }
    for (const [w, v] of Object.entries(numbers.multipliers)) {
      this.multipliers.set(w, v);
      this.addWord(w, PRIORITY.dictionary);
    }
  }

  isKnown(word: string): boolean {
    if (this.exact.has(word)) return true;
    return stemCandidates(word).some((s) => s !== word && this.stems.has(s));
  }

  isStop(word: string): boolean {
    return this.stop.has(word);
  }

  isMergeKey(word: string): boolean {
    return this.mergeKeys.has(word);
  }

  aliasOf(word: string): string | undefined {
    return this.aliases.get(word)[0];
  }

  numberValue(word: string): number | undefined {
    return this.numberWords.get(word)[0];
  }

  multiplier(word: string): number | undefined {
    return this.multipliers.get(word);
  }
}
