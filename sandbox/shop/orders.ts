import type { CartStore } from './cart';
import type { CatalogStore } from './catalog';
import type { ShopClock } from './clock';
import { conflict, invalidArgument, notFound, ShopError } from './errors';
import type { FieldSpecs } from './query';
import type { DeliveryType, Order, OrderItem, OrderStatus, PaymentType, ShopCounters } from './types';

export const ORDER_STATUS_NAMES: Readonly<Record<OrderStatus, string>> = {
  new: 'Принят',
  confirmed: 'Подтверждён',
  assembling: 'Собирается',
  handed_to_courier: 'Передан курьеру',
  delivered: 'Доставлен',
  cancelled: 'Отменён',
};

/** The road of an order; pickup orders skip the courier. `cancelled` may end any open order. */
export const ORDER_PATHS: Readonly<Record<DeliveryType, readonly OrderStatus[]>> = {
  courier: ['new', 'confirmed', 'assembling', 'handed_to_courier', 'delivered'],
  pickup: ['new', 'confirmed', 'assembling', 'delivered'],
};

/** Statuses in which the customer may still cancel through the API. */
export const CUSTOMER_CANCELLABLE: readonly OrderStatus[] = ['new', 'confirmed', 'assembling'];

export const ORDER_FIELDS: FieldSpecs = {
  id: 'int',
  number: 'string',
  status: 'string',
  paymentType: 'string',
  delivery: 'string',
  paid: 'bool',
  externalId: 'string',
  trackingNumber: 'string',
  price: 'number',
  createdAt: 'date',
  updatedAt: 'date',
  statusChangedAt: 'date',
};
export const ORDER_EXTRA_SELECT = ['userId', 'statusName', 'paidAt', 'paymentUrl', 'address', 'phone', 'comment', 'pickupStore', 'items', 'currency', 'cancelReason', 'history'];

export interface CreateOrderInput {
  paymentType: PaymentType;
  delivery: DeliveryType;
  address?: string;
  phone?: string;
  comment?: string;
  externalId?: string;
  pickupStore?: string;
}

export interface OrderView extends Omit<Order, 'items' | 'shipped'> {
  statusName: string;
  paymentUrl?: string;
  items: Omit<OrderItem, 'allocation'>[];
}

export const formatOrderNumber = (id: number): string => `Z-${String(id).padStart(6, '0')}`;

export class OrderStore {
  private readonly orders = new Map<number, Order>();
  private nextId = 1;
  private nextItemId = 1;

  constructor(
    private readonly catalog: CatalogStore,
    private readonly carts: CartStore,
    private readonly clock: ShopClock,
    private readonly counters: ShopCounters,
  ) {}

  all(): Order[] {
    return [...this.orders.values()];
  }

  clear(): void {
    this.orders.clear();
    this.nextId = 1;
    this.nextItemId = 1;
  }

  /** By numeric id or by number (`Z-000123`). */
  find(ref: number | string): Order | undefined {
    if (typeof ref === 'number') return this.orders.get(ref);
    const trimmed = ref.trim();
    if (/^\d+$/.test(trimmed)) return this.orders.get(Number(trimmed));
    const match = /^Z-(\d+)$/i.exec(trimmed);
    return match ? this.orders.get(Number(match[1])) : undefined;
  }

  require(ref: number | string, userId?: number): Order {
    const order = this.find(ref);
    // Someone else's order is "not found": ids of other customers are not disclosed.
    if (!order || (userId !== undefined && order.userId !== userId)) throw notFound('ORDER_NOT_FOUND', `Order ${ref} not found`);
    return order;
  }

  forUser(userId: number): Order[] {
    return this.all().filter((order) => order.userId === userId);
  }

  /**
   * `sale.order.create` from the user's basket. The same `externalId` from the same user gives
   * back the order it created first (whatever the basket holds now), so a retried call never
   * makes a second order.
   */
  create(userId: number, input: CreateOrderInput): { order: Order; replayed: boolean } {
    if (input.externalId !== undefined) {
      const existing = this.all().find((order) => order.userId === userId && order.externalId === input.externalId);
      if (existing) {
        this.counters.orderReplays++;
        return { order: existing, replayed: true };
      }
    }
    if (input.delivery === 'courier' && !input.address) throw new ShopError(400, 'ADDRESS_REQUIRED', 'Courier delivery needs "address"');
    if (input.paymentType === 'cod' && input.delivery !== 'courier') {
      throw new ShopError(400, 'PAYMENT_TYPE_NOT_ALLOWED', 'Cash on delivery is only available with courier delivery ("Неси")');
    }
    if (input.pickupStore !== undefined && !this.catalog.stores().includes(input.pickupStore)) {
      throw invalidArgument(`Unknown pickup store "${input.pickupStore}"; stores: ${this.catalog.stores().join(', ')}`);
    }
    const basket = this.carts.items(userId);
    if (basket.length === 0) throw new ShopError(400, 'EMPTY_BASKET', 'The basket is empty');

    const pickupStore = input.delivery === 'pickup' ? (input.pickupStore ?? 'central') : null;
    const allocations = this.catalog.reserve(basket, pickupStore ?? undefined);
    const items: OrderItem[] = basket.map((line, index) => {
      const product = this.catalog.require(line.productId);
      return {
        id: this.nextItemId++,
        productId: product.id,
        name: product.name,
        article: product.article,
        quantity: line.quantity,
        price: product.priceMaster,
        sum: product.priceMaster * line.quantity,
        allocation: allocations[index],
      };
    });
    const id = this.nextId++;
    const at = this.clock.stamp();
    const order: Order = {
      id,
      number: formatOrderNumber(id),
      userId,
      status: 'new',
      history: [{ status: 'new', at }],
      paymentType: input.paymentType,
      delivery: input.delivery,
      address: input.delivery === 'courier' ? (input.address ?? null) : null,
      phone: input.phone ?? null,
      comment: input.comment ?? null,
      externalId: input.externalId ?? null,
      pickupStore,
      trackingNumber: input.delivery === 'courier' ? `NS-${String(id).padStart(6, '0')}` : null,
      items,
      price: items.reduce((sum, item) => sum + item.sum, 0),
      currency: 'RUB',
      paid: false,
      paidAt: null,
      shipped: false,
      cancelReason: null,
      createdAt: at,
      updatedAt: at,
      statusChangedAt: at,
    };
    this.orders.set(id, order);
    this.carts.clear(userId);
    this.counters.ordersCreated++;
    return { order, replayed: false };
  }

  /**
   * Moves an order forward to `target`, through every status in between (each gets its own
   * history entry), or cancels it. Moving backwards or out of a final status is refused.
   */
  advance(ref: number | string, target: OrderStatus): Order {
    const order = this.require(ref);
    if (target === order.status) return order;
    if (order.status === 'delivered' || order.status === 'cancelled') {
      throw conflict('ORDER_STATUS_FINAL', `Order ${order.number} is already ${order.status}`);
    }
    if (target === 'cancelled') return this.cancelNow(order, null);
    const path = ORDER_PATHS[order.delivery];
    const from = path.indexOf(order.status);
    const to = path.indexOf(target);
    if (to < 0) throw invalidArgument(`A ${order.delivery} order has no status "${target}"`);
    if (to < from) throw conflict('INVALID_STATUS_TRANSITION', `Order ${order.number} cannot go back from ${order.status} to ${target}`);
    for (const status of path.slice(from + 1, to + 1)) this.setStatus(order, status);
    return order;
  }

  /** `sale.order.cancel`: the customer may cancel until the order is handed over; repeating is harmless. */
  cancelByCustomer(userId: number, ref: number | string, reason: string | null): Order {
    const order = this.require(ref, userId);
    if (order.status === 'cancelled') return order;
    if (!CUSTOMER_CANCELLABLE.includes(order.status)) {
      throw conflict('ORDER_CANNOT_BE_CANCELLED', `Order ${order.number} is ${order.status} and can no longer be cancelled`);
    }
    return this.cancelNow(order, reason);
  }

  /** The payment page: marks a prepaid order paid (once) and confirms a new one. */
  pay(ref: number | string): { order: Order; alreadyPaid: boolean } {
    const order = this.require(ref);
    if (order.paymentType !== 'prepaid') throw conflict('PAYMENT_NOT_REQUIRED', `Order ${order.number} is paid in cash on delivery`);
    if (order.paid) return { order, alreadyPaid: true };
    if (order.status === 'cancelled') throw conflict('ORDER_CANCELLED', `Order ${order.number} is cancelled`);
    const at = this.clock.stamp();
    order.paid = true;
    order.paidAt = at;
    order.updatedAt = at;
    this.counters.payments++;
    if (order.status === 'new') this.setStatus(order, 'confirmed');
    return { order, alreadyPaid: false };
  }

  /** Orders whose status changed strictly after `sinceMs`, oldest change first. */
  changedSince(sinceMs: number, userId?: number): Order[] {
    return this.all()
      .filter((order) => (userId === undefined || order.userId === userId) && Date.parse(order.statusChangedAt) > sinceMs)
      .sort((a, b) => Date.parse(a.statusChangedAt) - Date.parse(b.statusChangedAt) || a.id - b.id);
  }

  view(order: Order, baseUrl?: string): OrderView {
    const { shipped: _shipped, items, ...rest } = order;
    const view: OrderView = {
      ...rest,
      statusName: order.status === 'delivered' && order.delivery === 'pickup' ? 'Выдан' : ORDER_STATUS_NAMES[order.status],
      items: items.map(({ allocation: _allocation, ...item }) => item),
      history: order.history.map((entry) => ({ ...entry })),
    };
    if (order.paymentType === 'prepaid' && baseUrl) view.paymentUrl = `${baseUrl}/pay/${order.id}`;
    return view;
  }

  private cancelNow(order: Order, reason: string | null): Order {
    for (const item of order.items) {
      if (order.shipped) this.catalog.restock(item.productId, item.allocation);
      else this.catalog.release(item.productId, item.allocation);
    }
    order.cancelReason = reason;
    this.setStatus(order, 'cancelled');
    this.counters.ordersCancelled++;
    return order;
  }

  private setStatus(order: Order, status: OrderStatus): void {
    const at = this.clock.stamp();
    order.status = status;
    order.history.push({ status, at });
    order.statusChangedAt = at;
    order.updatedAt = at;
    const leavesWarehouse = status === 'handed_to_courier' || (status === 'delivered' && !order.shipped);
    if (leavesWarehouse && !order.shipped) {
      for (const item of order.items) this.catalog.ship(item.productId, item.allocation);
      order.shipped = true;
    }
    // Cash on delivery: the courier collects the money when handing the parts over.
    if (status === 'delivered' && order.paymentType === 'cod' && !order.paid) {
      order.paid = true;
      order.paidAt = at;
    }
  }
}
