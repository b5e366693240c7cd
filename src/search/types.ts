// Public types of the catalog search engine.

/** One product card as the shop exports it (test/fixtures/catalog.jsonl, catalog cache rows). */
export interface CatalogItem {
  id: number;
  xml_id?: string;
  code?: string | null;
  article?: string | null;
  name: string;
  section?: string | null;
  part_type?: string | null;
  brand?: string | null;
  models?: string[] | null;
  quality?: string | null;
  color?: string | null;
  price?: number | null;
  price_master?: number | null;
  stock?: Record<string, number> | null;
  barcode?: string | null;
}

/** Device dictionary entry (test/fixtures/devices.json). */
export interface DeviceInfo {
  brand: string;
  model: string;
  model_codes?: string[];
}

export interface ScoredItem {
  id: number;
  score: number;
}

export type CorrectionKind = 'layout' | 'typo' | 'translit' | 'number' | 'glue' | 'split';

/** A change the normaliser made to what the master typed or said. */
export interface Correction {
  kind: CorrectionKind;
  from: string;
  to: string;
}

/** How the model part of the query was understood. */
export type ModelMatch =
  | 'exact' // a model (or several equally good) fully named
  | 'partial' // a prefix of several variants ("poco x3" = X3 NFC + X3 Pro)
  | 'family' // only a brand/series ("дисплей самсунг")
  | 'unknown' // names a model the catalog does not have ("iphone 5s")
  | 'none';

/** Structured reading of a query; also the basis of the human explanation. */
export interface Interpretation {
  normalized: string;
  corrections: Correction[];
  exact?: { kind: 'barcode' | 'code' | 'article' | 'id'; value: string };
  codes: string[];
  models: string[];
  modelMatch: ModelMatch;
  family: string[];
  partTypes: string[];
  fallbackPartTypes: string[];
  kit: boolean;
  quality: string[];
  color: string | null;
  features: { key: string; wanted: boolean }[];
  residual: string[];
  ignored: string[];
  unknownModelTokens: string[];
}

export interface SearchResult {
  query: string;
  /** Best matches, strongest first (at most `limit`). */
  items: ScoredItem[];
  /** True when nothing matches; `suggestions` then holds close alternatives. */
  nothingFound: boolean;
  suggestions: ScoredItem[];
  interpretation: Interpretation;
  /** One-line Russian explanation of how the query was read (for the bot and logs). */
  explanation: string;
  tookMs: number;
}

export interface SearchOptions {
  limit?: number;
  suggestionLimit?: number;
}
