import type { CatalogItemView, CatalogRow } from './rows';
import type { BuildInfo, CompatRequest, CompatResult, EngineSearchOptions, EngineSearchResult, PatchInfo } from './engine-core';

/** Messages between the search service and its engine worker (engine-worker.ts). */
export type EngineRequest =
  | { id: number; op: 'build' }
  | { id: number; op: 'patch'; rows: CatalogRow[]; removedIds: number[] }
  | { id: number; op: 'search'; query: string; options: EngineSearchOptions }
  | { id: number; op: 'item'; itemId: number }
  | { id: number; op: 'compat'; request: CompatRequest }
  | { id: number; op: 'close' };

export type EngineReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string } };

/** What the worker is started with (workerData). */
export interface EngineWorkerData {
  databaseUrl: string;
  devicesFile?: string;
}

export interface EngineResults {
  build: BuildInfo;
  patch: PatchInfo;
  search: EngineSearchResult;
  item: CatalogItemView | null;
  compat: CompatResult;
  close: null;
}
