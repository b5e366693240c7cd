/** API v1 for masters' clients: the flows' helpers (OpenAPI description, queued orders). */
export { describeApiV1Operations, API_V1_OPERATIONS, API_V1_PATHS } from './describe';
export { startApiV1Runtime, apiV1RuntimeFor, type ApiV1Runtime, type ApiV1RuntimeOptions } from './runtime';
export {
  API_ORDER_DESTINATION,
  API_ORDER_OPERATION,
  API_ORDER_RETRY_POLICY,
  deliverQueuedApiOrder,
  parseQueuedOrder,
  pullForward,
  type QueuedApiOrder,
} from './queued-orders';
