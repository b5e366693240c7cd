import assert from 'node:assert/strict';
import { SHOP_METHODS } from '../../src/shop/client';
import { operationArgs, SHOP_OPERATIONS, shopOperation } from '../../src/shop/operations';
import { toSearchParams } from '../../src/shop/params';

describe('shop operations and parameters', () => {
  it('finds every operation by Bitrix method and by client method name', () => {
    assert.equal(shopOperation('sale.order.create')?.alias, 'createOrder');
    assert.equal(shopOperation('CreateOrder')?.method, 'sale.order.create');
    assert.equal(shopOperation('catalog.store.product.list')?.alias, 'getStock');
    assert.equal(shopOperation('nope'), undefined);
    assert.equal(shopOperation(42), undefined);
    for (const op of SHOP_OPERATIONS) assert.ok(SHOP_METHODS[op.method], `${op.method} is a known method`);
    assert.equal(SHOP_OPERATIONS.length, Object.keys(SHOP_METHODS).length, 'every method has an operation');
  });

  it('turns a scalar payload into the id the operation needs', () => {
    assert.deepEqual(operationArgs(shopOperation('sale.order.get')!, 'Z-000001'), { id: 'Z-000001' });
    assert.deepEqual(operationArgs(shopOperation('getStock')!, 10001), { productId: 10001 });
    assert.deepEqual(operationArgs(shopOperation('orderChanges')!, '2026-03-02T09:00:00.000Z'), { since: '2026-03-02T09:00:00.000Z' });
    assert.deepEqual(operationArgs(shopOperation('cartAdd')!, { productId: 1 }), { productId: 1 });
    assert.deepEqual(operationArgs(shopOperation('cartClear')!, undefined), {});
  });

  it('encodes Bitrix list parameters in the query string', () => {
    const q = toSearchParams({ filter: { '>updatedAt': '2026-03-02T09:00:00.000Z', section: 'Дисплеи', active: true }, order: { updatedAt: 'asc' }, select: ['name', 'priceMaster'], start: -1, skip: undefined });
    assert.deepEqual(
      [...q.entries()],
      [
        ['filter[>updatedAt]', '2026-03-02T09:00:00.000Z'],
        ['filter[section]', 'Дисплеи'],
        ['filter[active]', 'Y'],
        ['order[updatedAt]', 'asc'],
        ['select[]', 'name'],
        ['select[]', 'priceMaster'],
        ['start', '-1'],
      ],
    );
    assert.match(q.toString(), /^filter%5B%3EupdatedAt%5D=/);
  });
});
