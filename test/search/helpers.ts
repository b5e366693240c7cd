// Shared fixtures for the search specs: one engine over the fixture catalog.
import * as path from 'node:path';
import { buildVocabulary } from '../../src/search/build-vocabulary';
import { CatalogIndex } from '../../src/search/catalog-index';
import { defaultDictionaries } from '../../src/search/dictionaries';
import { SearchEngine } from '../../src/search/engine';
import { loadCatalog, loadDevices } from '../../src/search/io';
import { QueryNormalizer } from '../../src/search/normalize';
import type { CatalogItem } from '../../src/search/types';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
export const catalog: CatalogItem[] = loadCatalog(path.join(FIXTURES, 'catalog.jsonl'));
export const devices = loadDevices(path.join(FIXTURES, 'devices.json'));

let engine: SearchEngine | undefined;
export function getEngine(): SearchEngine {
  engine ??= SearchEngine.fromCatalog(catalog, devices);
  return engine;
}

let normalizer: QueryNormalizer | undefined;
export function getNormalizer(): QueryNormalizer {
  if (!normalizer) {
    const dicts = defaultDictionaries();
    normalizer = new QueryNormalizer(buildVocabulary(dicts, CatalogIndex.build(catalog, devices, dicts)));
  }
  return normalizer;
}

/** Canonical token texts of a query (stopwords dropped). */
export function normTexts(q: string): string[] {
  return getNormalizer()
    .normalize(q)
    .tokens.filter((t) => !t.stop)
    .map((t) => t.text);
}

const byId = new Map(catalog.map((i) => [i.id, i]));
export function item(id: number): CatalogItem {
  const it = byId.get(id);
  if (!it) throw new Error(`no item ${id}`);
  return it;
}

/** Ids of catalog items matching a predicate (the expected answer computed from catalog truth). */
export function idsWhere(pred: (i: CatalogItem) => boolean): number[] {
  return catalog.filter(pred).map((i) => i.id);
}

export function searchIds(q: string): number[] {
  return getEngine()
    .search(q)
    .items.map((i) => i.id);
}

export const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
