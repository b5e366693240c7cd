// Public surface of the catalog search module.
export { SearchEngine } from './engine';
export { CatalogIndex } from './catalog-index';
export { loadDictionaries, defaultDictionaries, type Dictionaries } from './dictionaries';
export { evaluate, f1, type EvalRow, type EvalSummary, type GoldenQuery } from './eval';
export { loadCatalog, loadDevices, readJsonl } from './io';
export type * from './types';
