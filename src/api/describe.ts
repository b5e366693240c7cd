import type { ProblemCode } from '../http/problem-catalogue';
import { registerOperation, type OperationSpec, type ParameterSpec, type SchemaSpec } from '../validation/openapi';

/**
 * The OpenAPI description of API v1 for masters' clients (the routes are Node-RED flows:
 * flows/api-v1-*.json). The server calls describeApiV1Operations() once; calling it again is
 * harmless. Every route authenticates with the session token of POST /api/v1/auth/telegram and
 * is rate limited per Telegram user (reads and writes have separate budgets).
 */
export const API_V1_PATHS = Object.freeze({
  search: '/api/v1/catalog/search',
  item: '/api/v1/catalog/items/{id}',
  compat: '/api/v1/compat',
  cart: '/api/v1/cart',
  cartItems: '/api/v1/cart/items',
  cartItem: '/api/v1/cart/items/{id}',
  orders: '/api/v1/orders',
  order: '/api/v1/orders/{id}',
  returns: '/api/v1/returns',
  returnById: '/api/v1/returns/{id}',
});

const SECURITY = ['sessionToken'] as const;
const SHOP_DOWN: ProblemCode[] = ['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT'];
const SHOP_REFUSED: ProblemCode[] = ['UPSTREAM_BUSINESS_ERROR'];
const FRESHNESS =
  'Answers come from the catalog cache, which follows the web shop every few seconds, so this keeps working while the shop is down: ' +
  '`degraded: true` then says prices and stock are as of `as_of` (show `as_of_text`, "цены и наличие на 14:05", to the master).';
const SHOP_DOWN_READ = 'While the web shop is unavailable: 503 UPSTREAM_UNAVAILABLE (504 UPSTREAM_TIMEOUT when it is too slow) with Retry-After.';

function query(name: string, description: string, schema: SchemaSpec, required = false): ParameterSpec {
  return { name, in: 'query', description, schema, required };
}

const idParam = (description: string, pattern: string): ParameterSpec => ({ name: 'id', in: 'path', description, schema: { type: 'string', pattern } });

export const API_V1_OPERATIONS: readonly OperationSpec[] = [
  {
    method: 'get',
    path: API_V1_PATHS.search,
    operationId: 'searchCatalog',
    summary: 'Search parts the way masters ask for them',
    description: `Text or transcribed voice: slang ("акб", "звонок"), Cyrillic model names ("айфон", "редми ноут"), wrong keyboard layout, typos, numbers as words, model and battery codes, barcodes. Nothing found is not an error: \`nothing_found\`, \`suggestions\` and \`explanation\`. ${FRESHNESS}`,
    tags: ['catalog'],
    security: SECURITY,
    parameters: [
      query('q', 'What the master typed or said (1–200 characters).', { type: 'string', minLength: 1, maxLength: 200 }, true),
      query('limit', 'How many items at most (1–50, default 10).', { type: 'integer', minimum: 1, maximum: 50, default: 10 }),
    ],
    responses: { '200': { description: 'Matches, best first', schema: 'api-catalog-search' } },
    problems: ['VALIDATION_FAILED'],
  },
  {
    method: 'get',
    path: API_V1_PATHS.item,
    operationId: 'getCatalogItem',
    summary: 'One catalog item: master price, stock per store, compatible models',
    description: FRESHNESS,
    tags: ['catalog'],
    security: SECURITY,
    parameters: [idParam('Catalog item id.', '^[1-9][0-9]{0,15}$')],
    responses: { '200': { description: 'The item', schema: 'api-catalog-item' } },
    problems: ['VALIDATION_FAILED', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: API_V1_PATHS.compat,
    operationId: 'getCompatibility',
    summary: 'Which models a part fits, or which parts fit a model',
    description: `Exactly one of \`item_id\` and \`model\`. Shared parts (one part for "Redmi 9A / 9C / 10A") are marked with \`shared_with\`. An unknown \`item_id\` is 404; a model without parts is an empty list. ${FRESHNESS}`,
    tags: ['catalog'],
    security: SECURITY,
    parameters: [
      query('item_id', 'A catalog item: which models it fits.', { type: 'string', pattern: '^[1-9][0-9]{0,15}$' }),
      query('model', 'A device model as typed ("редми 9а"): which parts fit it.', { type: 'string', minLength: 1, maxLength: 100 }),
      query('part_type', 'With `model`: only this kind of part (display, battery…).', { type: 'string', pattern: '^[a-z][a-z_]{0,31}$' }),
      query('limit', 'With `model`: how many parts at most (1–100, default 100).', { type: 'integer', minimum: 1, maximum: 100 }),
    ],
    responses: { '200': { description: 'Compatibility', schema: 'api-compat' } },
    problems: ['VALIDATION_FAILED', 'NOT_FOUND'],
  },
  {
    method: 'get',
    path: API_V1_PATHS.cart,
    operationId: 'getCart',
    summary: "The master's cart in the web shop",
    description: SHOP_DOWN_READ,
    tags: ['cart'],
    security: SECURITY,
    responses: { '200': { description: 'The cart', schema: 'api-cart' } },
    problems: [...SHOP_DOWN, ...SHOP_REFUSED],
  },
  {
    method: 'post',
    path: API_V1_PATHS.cartItems,
    operationId: 'addCartItem',
    summary: 'Put an item into the cart',
    description: `An item already in the cart gets its line increased. More than can be ordered is 409 OUT_OF_STOCK; an unknown item 404. ${SHOP_DOWN_READ} (the Idempotency-Key is then free for the retry).`,
    tags: ['cart'],
    security: SECURITY,
    requestSchema: 'api-cart-item-add',
    responses: { '200': { description: 'The line and the cart after the change', schema: 'api-cart-change' } },
    problems: ['OUT_OF_STOCK', 'NOT_FOUND', ...SHOP_DOWN, ...SHOP_REFUSED],
  },
  ...(['patch', 'post'] as const).map(
    (method): OperationSpec => ({
      method,
      path: API_V1_PATHS.cartItem,
      operationId: method === 'patch' ? 'updateCartItem' : 'updateCartItemPost',
      summary: method === 'patch' ? 'Set the quantity of a cart line' : 'Set the quantity of a cart line (POST for clients without PATCH)',
      description:
        method === 'patch'
          ? 'Setting a quantity is idempotent by itself: no Idempotency-Key is needed; when one is sent it is honoured like on POST.'
          : 'The same as PATCH; as a POST it needs an Idempotency-Key.',
      tags: ['cart'],
      security: SECURITY,
      idempotent: method === 'post',
      parameters: [idParam('Cart line id (`items[].id` of the cart).', '^[1-9][0-9]{0,15}$')],
      requestSchema: 'api-cart-item-update',
      responses: { '200': { description: 'The line and the cart after the change', schema: 'api-cart-change' } },
      problems: ['OUT_OF_STOCK', 'NOT_FOUND', ...SHOP_DOWN, ...SHOP_REFUSED],
    }),
  ),
  {
    method: 'delete',
    path: API_V1_PATHS.cartItem,
    operationId: 'deleteCartItem',
    summary: 'Remove a line from the cart',
    description: 'No Idempotency-Key is needed (when one is sent it is honoured); deleting a line that is gone is 404.',
    tags: ['cart'],
    security: SECURITY,
    idempotent: false,
    parameters: [idParam('Cart line id.', '^[1-9][0-9]{0,15}$')],
    responses: { '200': { description: 'The cart after the change (`deleted: true`)', schema: 'api-cart-change' } },
    problems: ['VALIDATION_FAILED', 'NOT_FOUND', ...SHOP_DOWN, ...SHOP_REFUSED],
  },
  {
    method: 'post',
    path: API_V1_PATHS.orders,
    operationId: 'createOrder',
    summary: 'Place an order from the cart: prepaid or cash on delivery ("Неси"), courier or pickup',
    description:
      '201 with the order and `Location`. The Idempotency-Key is the order\'s id in the shop: retries, also after a crash, never place it twice. ' +
      'Stock is checked again (409 OUT_OF_STOCK), an empty cart is 422 UPSTREAM_BUSINESS_ERROR (`shop_error: EMPTY_BASKET`). ' +
      'While the web shop is down or too slow the order is accepted anyway: **202** `queued`, kept durably and placed from the cart as soon as the shop answers again — exactly once. ' +
      'Find it with `GET /api/v1/orders?idempotency_key=…`.',
    tags: ['orders'],
    security: SECURITY,
    requestSchema: 'api-order-create',
    responses: {
      '201': { description: 'The order was placed', schema: 'api-order' },
      '202': { description: 'The shop is unavailable: the order is queued and will be placed once it is back', schema: 'api-order-queued' },
    },
    problems: ['OUT_OF_STOCK', 'CONFLICT', ...SHOP_REFUSED],
  },
  {
    method: 'get',
    path: API_V1_PATHS.orders,
    operationId: 'listOrders',
    summary: "The master's orders, newest first",
    description: SHOP_DOWN_READ,
    tags: ['orders'],
    security: SECURITY,
    parameters: [
      query('offset', 'Page offset (50 per page).', { type: 'integer', minimum: 0 }),
      query('status', 'Only orders in this status.', 'api-order#/$defs/status'),
      query('idempotency_key', 'The order placed with this Idempotency-Key (e.g. one accepted as queued).', { type: 'string', minLength: 1, maxLength: 255 }),
    ],
    responses: { '200': { description: 'A page of orders', schema: 'api-order-list' } },
    problems: ['VALIDATION_FAILED', ...SHOP_DOWN, ...SHOP_REFUSED],
  },
  {
    method: 'get',
    path: API_V1_PATHS.order,
    operationId: 'getOrder',
    summary: 'One order: status and tracking history',
    description: SHOP_DOWN_READ,
    tags: ['orders'],
    security: SECURITY,
    parameters: [idParam('Order id (17) or number (Z-000017).', '^([1-9][0-9]{0,15}|Z-[0-9]{1,12})$')],
    responses: { '200': { description: 'The order', schema: 'api-order' } },
    problems: ['VALIDATION_FAILED', 'NOT_FOUND', ...SHOP_DOWN, ...SHOP_REFUSED],
  },
  {
    method: 'post',
    path: API_V1_PATHS.returns,
    operationId: 'createReturn',
    summary: 'Request the return of an order line (RMA)',
    description:
      '201 with the return and `Location`. Only lines of delivered orders (409 CONFLICT otherwise), one open return per line, at most the delivered quantity. ' +
      'The Idempotency-Key is the return\'s id in the shop, so a retry never files it twice. ' +
      'While the shop is unavailable: 503 (or 504) with Retry-After, and the key stays free for the retry.',
    tags: ['returns'],
    security: SECURITY,
    requestSchema: 'api-return-create',
    responses: { '201': { description: 'The return was filed', schema: 'api-return' } },
    problems: ['NOT_FOUND', 'CONFLICT', ...SHOP_DOWN, ...SHOP_REFUSED],
  },
  {
    method: 'get',
    path: API_V1_PATHS.returnById,
    operationId: 'getReturn',
    summary: 'One return: status, history and the manager\'s comment',
    description: SHOP_DOWN_READ,
    tags: ['returns'],
    security: SECURITY,
    parameters: [idParam('Return id (3) or number (R-000003).', '^([1-9][0-9]{0,15}|R-[0-9]{1,12})$')],
    responses: { '200': { description: 'The return', schema: 'api-return' } },
    problems: ['VALIDATION_FAILED', 'NOT_FOUND', ...SHOP_DOWN, ...SHOP_REFUSED],
  },
];

/** Registers every API v1 operation for /api/v1/openapi.json. Safe to call more than once. */
export function describeApiV1Operations(): void {
  for (const op of API_V1_OPERATIONS) registerOperation(op);
}
