// Public surface of the catalog cache: sync from the shop, search over the cache.
export { asOfText, BUSINESS_TIME_ZONE, formatAsOfTime } from './as-of';
export type { BuildInfo, CompatPart, CompatRequest, CompatResult, EngineSearchResult, FoundItem } from './engine-core';
export { itemView, type CatalogItemView, type CatalogRow } from './rows';
export {
  CatalogNotReadyError,
  CatalogSearchService,
  type CatalogCompatAnswer,
  type CatalogFreshness,
  type CatalogItemAnswer,
  type CatalogSearchAnswer,
  type CatalogSearchServiceOptions,
  type CatalogStatus,
} from './search-service';
export { CATALOG_TABLE, readSyncState, SHOP_CATALOG_STREAM, SYNC_STATE_TABLE, type SyncState } from './store';
export { CatalogSyncer, type CatalogChange, type CatalogSyncerOptions, type SyncReport, type SyncerStatus } from './sync';
export { acquireCatalogRuntime, createCatalogRuntime, registerCatalogRuntime, type CatalogRuntime, type CatalogRuntimeLease, type CatalogRuntimeOptions } from './runtime';
