// Public surface of the web shop client (1C-Bitrix company API).
export {
  DEFAULT_SHOP_BREAKER,
  DEFAULT_SHOP_TIMEOUT_MS,
  SHOP_METHODS,
  SHOP_PAGE_SIZE,
  ShopClient,
  shopApiBase,
  type JournalSink,
  type ShopCallContext,
  type ShopClientOptions,
  type ShopMethodSpec,
  type ShopReply,
} from './client';
export { shopConfigFromEnv, type ShopConfig } from './config';
export {
  isShopBusinessError,
  isShopError,
  isShopUnavailable,
  problemCodeForShopError,
  ShopBusinessError,
  ShopError,
  ShopUnavailableError,
  type ShopErrorKind,
  type UnavailableReason,
} from './errors';
export { operationArgs, SHOP_OPERATIONS, ShopArgumentError, shopOperation, type ShopOperation } from './operations';
export type * from './types';
