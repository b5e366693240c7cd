// Query normalisation: what the master typed or said → canonical tokens.
//
// Pipeline (each step logs the corrections it made, for `explain`):
//   1. lower-case, ё→е, split on whitespace
//   2. wrong keyboard layout, decided per chunk by vocabulary hit rate
//   3. split chunks into words (codes keep their hyphen-glued form)
//   4. resolve each word: alias/transliteration, known word, Latin reading of
//      Cyrillic model keys, letter/digit split, typo correction
//   5. fold spoken numbers ("семьдесят два" → 72)
//   6. glue pieces that form a known key or code ("а 71" → a71, "bn 62" → bn62)
import { isLatinLayoutText, isRussianLayoutText, latinToRussianLayout, russianToLatinLayout } from './layout';
import { foldNumberWords, type NumberPart } from './numbers';
import { foldCase, hasCyrillic, hasDigit, isDigits, splitChunk, stemCandidates } from './text';
import { latinReadings } from './translit';
import type { Correction } from './types';
import type { Vocabulary } from './vocabulary';

export interface QueryToken {
  /** What the user typed for this token (after case folding). */
  raw: string;
  /** Canonical form used for matching. */
  text: string;
  /** Other plausible readings (Latin readings of a Cyrillic letter, etc.). */
  alts: string[];
  known: boolean;
  stop: boolean;
  /** Read as a typo: `alts` then hold other equally close words, worth a retry when the first reading finds nothing. */
  guessed?: boolean;
}

export interface NormalizedQuery {
  original: string;
  tokens: QueryToken[];
  corrections: Correction[];
}

interface Word {
  raw: string;
  text: string;
  alts: string[];
  known: boolean;
  guessed?: boolean;
}

export class QueryNormalizer {
  constructor(private readonly vocab: Vocabulary) {}

  normalize(query: string): NormalizedQuery {
    const corrections: Correction[] = [];
    const chunks = foldCase(query).split(/\s+/).filter(Boolean);
    const words = chunks.flatMap((c) => this.resolveChunk(c, corrections));
    const numbered = this.foldNumbers(words, corrections);
    const glued = this.glue(numbered, corrections);
    const tokens = glued.map((w) => ({ ...w, stop: this.vocab.isStop(w.text) }));
    return { original: query, tokens, corrections };
  }

  /** Steps 2–4 for one whitespace-separated chunk. */
  private resolveChunk(chunk: string, corrections: Correction[]): Word[] {
    const direct = this.resolveWords(chunk);
    const swapped = this.layoutSwap(chunk);
    if (swapped === undefined || knownCount(direct) === direct.length) return this.finish(direct, corrections);
    const viaLayout = this.resolveWords(swapped);
    const swappedScore = this.recognition(viaLayout);
    // The other layout must read clearly better, and read well on its own ("dth[bq" is not a word because "bq" is).
    if (swappedScore >= TYPO_CREDIT && swappedScore > this.recognition(direct)) {
      corrections.push({ kind: 'layout', from: chunk, to: swapped });
      return this.finish(viaLayout, corrections);
    }
    return this.finish(direct, corrections);
  }

  /** Mean recognition of words: 1 known, TYPO_CREDIT for a correctable typo, 0 otherwise. */
  private recognition(words: Word[]): number {
    if (!words.length) return 0;
    const score = (w: Word) => (w.known ? 1 : !hasDigit(w.raw) && this.correctTypo(w.raw) ? TYPO_CREDIT : 0);
    return words.reduce((s, w) => s + score(w), 0) / words.length;
  }

  private layoutSwap(chunk: string): string | undefined {
    if (isLatinLayoutText(chunk)) return latinToRussianLayout(chunk);
    if (isRussianLayoutText(chunk)) return russianToLatinLayout(chunk);
    return undefined;
  }

  /** Unknown words get the expensive treatments (split, typo correction) only once the layout is settled. */
  private finish(words: Word[], corrections: Correction[]): Word[] {
    const out: Word[] = [];
    for (const w of words) {
      if (w.known) {
        if (w.text !== w.raw && !isDigits(w.raw)) corrections.push({ kind: 'translit', from: w.raw, to: w.text });
        out.push(w);
        continue;
      }
      out.push(...this.repair(w, corrections));
    }
    return out;
  }

  private resolveWords(chunk: string): Word[] {
    return splitChunk(chunk).map((w) => this.resolveWord(w));
  }

  /** Exact-only recognition of one word. */
  private resolveWord(raw: string): Word {
    const v = this.vocab;
    if (isDigits(raw)) return { raw, text: raw, alts: [], known: true };
    const alias = v.aliasOf(raw);
    if (alias !== undefined) return { raw, text: alias, alts: [], known: true };
    if (v.isKnown(raw)) return { raw, text: raw, alts: hasCyrillic(raw) && raw.length <= 2 ? latinReadings(raw) : [], known: true };
    if (hasCyrillic(raw)) {
      const readings = latinReadings(raw);
      // Keep every known reading: "с21" is S21 for Samsung but C21 for Realme; the model resolver picks.
      const hits = readings.filter((r) => v.isKnown(r) || v.isMergeKey(r)).map((r) => v.aliasOf(r) ?? r);
      if (hits.length) return { raw, text: hits[0]!, alts: hits.slice(1), known: true };
      if (raw.length <= 2 || hasDigit(raw)) return { raw, text: hasDigit(raw) ? readings[0]! : raw, alts: readings, known: false };
    }
    return { raw, text: raw, alts: [], known: false };
  }

  /** Letter/digit split ("iphone11" → iphone 11), then typo correction. */
  private repair(w: Word, corrections: Correction[]): Word[] {
    const parts = w.raw.match(/[a-zа-я]+|[0-9]+/g) ?? [];
    // Only split off real words or model keys ("iphone11", "11pro", "se2020"); "g9" is a model we do not know, not "g" + "9".
    if (parts.length > 1 && parts.every((p) => isDigits(p) || p.length >= 3 || this.vocab.isMergeKey(p))) {
      const resolved = parts.map((p) => this.resolveWord(p));
      if (resolved.every((r) => r.known)) {
        corrections.push({ kind: 'split', from: w.raw, to: resolved.map((r) => r.text).join(' ') });
        return resolved;
      }
    }
    if (!hasDigit(w.raw)) {
      const fixed = this.correctTypo(w.raw);
      if (fixed) {
        corrections.push({ kind: 'typo', from: w.raw, to: fixed.text });
        return [fixed];
      }
    }
    return [w];
  }

  /** Closest known word(s); equally close candidates become alternatives ("реами": realme | redmi). */
  private correctTypo(raw: string): Word | null {
    const candidates = [raw, ...(hasCyrillic(raw) ? latinReadings(raw).slice(0, 4) : [])];
    for (const c of candidates) {
      const hit = this.vocab.fuzzy.correct(c, stemCandidates(c));
      if (!hit) continue;
      const forms = [...new Set(hit.words.map((w) => this.resolveWord(w)).flatMap((r) => [r.text, ...r.alts]))];
      return { raw, text: forms[0]!, alts: forms.slice(1), known: true, guessed: true };
    }
    return null;
  }

  /** The query re-read with the next reading of one guessed token ("сняя": снятая → синяя). */
  alternatives(nq: NormalizedQuery, max = 4): NormalizedQuery[] {
    const out: NormalizedQuery[] = [];
    nq.tokens.forEach((t, i) => {
      if (!t.guessed) return;
      for (const alt of t.alts) {
        if (out.length >= max) return;
        const tokens = nq.tokens.map((x, j) => (j === i ? { ...x, text: alt, alts: [t.text, ...t.alts.filter((a) => a !== alt)], stop: this.vocab.isStop(alt) } : x));
        const corrections = nq.corrections.map((c) => (c.kind === 'typo' && c.from === t.raw ? { ...c, to: alt } : c));
        out.push({ original: nq.original, tokens, corrections });
      }
    });
    return out;
  }

  /** Step 5: runs of number words become one numeric token each. */
  private foldNumbers(words: Word[], corrections: Correction[]): Word[] {
    const out: Word[] = [];
    let run: { parts: NumberPart[]; raws: string[] } = { parts: [], raws: [] };
    const flush = () => {
      if (!run.parts.length) return;
      const nums = foldNumberWords(run.parts).map(String);
      corrections.push({ kind: 'number', from: run.raws.join(' '), to: nums.join(' ') });
      nums.forEach((n) => out.push({ raw: run.raws.join(' '), text: n, alts: [], known: true }));
      run = { parts: [], raws: [] };
    };
    for (const w of words) {
      const part = this.numberPart(w.text);
      if (part) {
        run.parts.push(part);
        run.raws.push(w.raw);
      } else {
        flush();
        out.push(w);
      }
    }
    flush();
    return out;
  }

  private numberPart(text: string): NumberPart | undefined {
    const m = this.vocab.multiplier(text);
    if (m !== undefined) return { value: m, multiplier: true };
    const v = this.vocab.numberValue(text);
    return v === undefined ? undefined : { value: v, multiplier: false };
  }

  /** Step 6: glue neighbours whose concatenation is a known model key or code. */
  private glue(words: Word[], corrections: Correction[]): Word[] {
    const out: Word[] = [];
    for (const w of words) {
      const prev = out[out.length - 1];
      const joined = prev ? this.gluedForms(prev, w) : [];
      if (prev && joined.length) {
        corrections.push({ kind: 'glue', from: `${prev.raw} ${w.raw}`, to: joined[0]! });
        // Every valid gluing is kept ("9 с" = 9s | 9c); the model resolver decides.
        out[out.length - 1] = { raw: `${prev.raw} ${w.raw}`, text: joined[0]!, alts: joined.slice(1), known: true };
      } else out.push(w);
    }
    return out;
  }

  private gluedForms(a: Word, b: Word): string[] {
    if (!glueable(a.text) || !glueable(b.text)) return [];
    // Two pieces that both carry digits are two things ("m33 5g"), not one split code.
    if (hasDigit(a.text) && hasDigit(b.text)) return [];
    const out: string[] = [];
    for (const x of [a.text, ...a.alts]) {
      for (const y of [b.text, ...b.alts]) {
        if (this.vocab.isMergeKey(x + y) && !out.includes(x + y)) out.push(x + y);
      }
    }
    return out;
  }
}

/** Only short pieces and codes are glued; two ordinary words never are. */
function glueable(t: string): boolean {
  return t.length <= 3 || hasDigit(t);
}

const knownCount = (ws: Word[]): number => ws.filter((w) => w.known).length;
/** Credit for a word we can only read as a typo of a known word. */
const TYPO_CREDIT = 0.75;
