import express, { type Express, type Request, type Response, type Router } from 'express';
import { errorHandler, invalidArgument } from './errors';
import { isRecord } from './params';
import type { ShopSandbox } from './index';
import { ORDER_STATUSES, type OrderStatus, type ProductPatch } from './types';

export const CONTROL_BASE = '/__sandbox/shop';

/**
 * HTTP twins of the ShopSandbox knobs, for the demo mode and for tests in another process:
 *   GET  /__sandbox/shop/state                      counters and sizes
 *   GET  /__sandbox/shop/orders                     every order (all users)
 *   POST /__sandbox/shop/orders/:ref/advance        {status}
 *   POST /__sandbox/shop/orders/:ref/pay
 *   POST /__sandbox/shop/returns/:ref/resolve       {status: accepted|rejected, comment?}
 *   POST /__sandbox/shop/products/:id               {…patch}
 *   POST /__sandbox/shop/stock                      {productId, store, quantity}
 *   POST /__sandbox/shop/login                      {id, first_name?, username?} → {token, userId}
 *   POST /__sandbox/shop/reset
 */
export function controlRouter(shop: ShopSandbox): Router {
  const router = express.Router();
  router.use(express.json());
  const base = (req: Request) => `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
  const body = (req: Request): Record<string, unknown> => (isRecord(req.body) ? req.body : {});

  router.get('/state', (_req, res) => {
    res.json({
      result: {
        counters: shop.counters,
        products: shop.state.catalog.size,
        users: shop.users.length,
        orders: shop.orders.length,
        returns: shop.returns.length,
      },
    });
  });
  router.get('/orders', (req, res) => {
    res.json({ result: shop.orders.map((o) => shop.state.orders.view(o, base(req))), total: shop.orders.length });
  });
  router.post('/orders/:ref/advance', (req, res) => {
    const status = body(req).status;
    if (typeof status !== 'string' || !(ORDER_STATUSES as readonly string[]).includes(status)) {
      throw invalidArgument(`status must be one of: ${ORDER_STATUSES.join(', ')}`);
    }
    res.json({ result: shop.state.orders.view(shop.advanceOrder(String(req.params.ref), status as OrderStatus), base(req)) });
  });
  router.post('/orders/:ref/pay', (req, res) => {
    res.json({ result: shop.state.orders.view(shop.payOrder(String(req.params.ref)), base(req)) });
  });
  router.post('/returns/:ref/resolve', (req, res) => {
    const { status, comment } = body(req);
    if (status !== 'accepted' && status !== 'rejected') throw invalidArgument('status must be accepted or rejected');
    res.json({ result: shop.state.returns.view(shop.resolveReturn(String(req.params.ref), status, typeof comment === 'string' ? comment : undefined)) });
  });
  router.post('/products/:id', (req, res) => {
    res.json({ result: shop.updateProduct(Number(req.params.id), body(req) as ProductPatch) });
  });
  router.post('/stock', (req, res) => {
    const { productId, store, quantity } = body(req);
    res.json({ result: shop.setStock(Number(productId), String(store), Number(quantity)) });
  });
  router.post('/login', (req, res) => {
    const data = body(req);
    if (!Number.isSafeInteger(Number(data.id)) || Number(data.id) <= 0) throw invalidArgument('id (Telegram user id) is required');
    res.json({ result: shop.login(data as { id: number }) });
  });
  router.post('/reset', (_req: Request, res: Response) => {
    shop.reset();
    res.json({ result: true });
  });
  router.use(errorHandler);
  return router;
}

interface Layer {
  name: string;
  regexp: RegExp;
}

/**
 * Mounts the control routes beside the harness's own `/__sandbox` routes, i.e. before request
 * recording and fault injection, so driving the sandbox is neither recorded as traffic nor
 * failed by an outage. (The harness has no hook for this; if Express internals ever differ,
 * the routes still work, only after the recorder.)
 */
export function mountControlRoutes(app: Express, router: Router): void {
  app.use(CONTROL_BASE, router);
  const stack = (app as unknown as { _router?: { stack?: Layer[] } })._router?.stack;
  if (!Array.isArray(stack)) return;
  const mine = stack.length - 1;
  const harness = stack.findIndex((layer, index) => index < mine && layer.name === 'router' && layer.regexp.test('/__sandbox/requests'));
  if (harness < 0) return;
  const [layer] = stack.splice(mine, 1);
  stack.splice(harness + 1, 0, layer);
}
