// Assembles the query vocabulary from the catalog index and the dictionaries.
import type { CatalogIndex } from './catalog-index';
import type { Dictionaries } from './dictionaries';
import { adjectiveForms, foldCase, hasDigit } from './text';
import { PRIORITY, Vocabulary } from './vocabulary';

export function buildVocabulary(dicts: Dictionaries, index: CatalogIndex): Vocabulary {
  const v = new Vocabulary();
  for (const w of index.nameWords) v.addWord(w, PRIORITY.catalog);
  addModels(v, index);
  addBrands(v, dicts);
  for (const [to, froms] of Object.entries(dicts.modelWords)) for (const f of froms) v.addAlias(f, to);
  addDictionaryPhrases(v, dicts);
  for (const w of dicts.stopwords) v.addStopword(foldCase(w));
  v.loadNumbers(dicts.numbers);
  return v;
}

function addModels(v: Vocabulary, index: CatalogIndex): void {
  const reg = index.registry;
  for (const m of reg.models) {
    for (const k of m.keys) {
      v.addWord(k, PRIORITY.dictionary);
      // Keys are what users split ("а 71", "10 а", "икс 8") and we glue back.
      v.addMergeKey(k);
    }
    for (const f of m.family) v.addWord(f, PRIORITY.dictionary);
  }
  for (const c of reg.codeKeys()) v.addMergeKey(c);
  for (const c of index.codeKeys()) if (hasDigit(c)) v.addMergeKey(c);
}

function addBrands(v: Vocabulary, dicts: Dictionaries): void {
  for (const b of dicts.brands.brands) {
    v.addWord(b.name, PRIORITY.dictionary);
    for (const a of b.aliases) v.addAlias(a, b.name);
    for (const s of b.series) v.addWord(s, PRIORITY.dictionary);
  }
  for (const [series, aliases] of Object.entries(dicts.brands.seriesAliases)) for (const a of aliases) v.addAlias(a, series);
  for (const f of dicts.brands.foreign) v.addWord(foldCase(f), PRIORITY.dictionary);
}

function addDictionaryPhrases(v: Vocabulary, dicts: Dictionaries): void {
  const phrases: string[][] = [
    ...dicts.partTypes.phrases.map((p) => p.words),
    ...dicts.partTypes.kit.phrases,
    ...dicts.qualities.flatMap((q) => q.phrases),
    ...Object.entries(dicts.colors).flatMap(([c, ws]) => [c, ...ws].map((w) => w.split(/[\s-]+/))),
    ...dicts.features.flatMap((f) => [...f.positive, ...f.negative]),
  ];
  for (const p of phrases) {
    for (const raw of p) {
      const w = foldCase(raw);
      v.addWord(w, PRIORITY.dictionary);
      for (const form of adjectiveForms(w)) v.addWord(form, PRIORITY.dictionary, w);
    }
  }
}
