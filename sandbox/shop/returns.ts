import type { ShopClock } from './clock';
import { conflict, invalidArgument, notFound, ShopError } from './errors';
import type { OrderStore } from './orders';
import type { FieldSpecs } from './query';
import type { ReturnRequest, ReturnStatus, ShopCounters } from './types';

export const RETURN_STATUS_NAMES: Readonly<Record<ReturnStatus, string>> = {
  requested: 'На рассмотрении',
  accepted: 'Принят',
  rejected: 'Отклонён',
};

export const RETURN_FIELDS: FieldSpecs = {
  id: 'int',
  number: 'string',
  orderId: 'int',
  orderNumber: 'string',
  itemId: 'int',
  productId: 'int',
  status: 'string',
  externalId: 'string',
  createdAt: 'date',
  updatedAt: 'date',
  statusChangedAt: 'date',
};
export const RETURN_EXTRA_SELECT = ['userId', 'name', 'quantity', 'reason', 'photos', 'statusName', 'history', 'comment'];

export const MAX_RETURN_PHOTOS = 10;

export interface CreateReturnInput {
  orderId: number | string;
  itemId: number;
  quantity: number;
  reason: string;
  photos: string[];
  externalId?: string;
}

export interface ReturnView extends ReturnRequest {
  statusName: string;
}

export const formatReturnNumber = (id: number): string => `R-${String(id).padStart(6, '0')}`;

/**
 * Returns (RMA) of delivered order lines: one open (`requested`) return per line at a time, and
 * never more units than were delivered minus those already requested or accepted.
 */
export class ReturnStore {
  private readonly returns = new Map<number, ReturnRequest>();
  private nextId = 1;

  constructor(
    private readonly orders: OrderStore,
    private readonly clock: ShopClock,
    private readonly counters: ShopCounters,
  ) {}

  all(): ReturnRequest[] {
    return [...this.returns.values()];
  }

  clear(): void {
    this.returns.clear();
    this.nextId = 1;
  }

  find(ref: number | string): ReturnRequest | undefined {
    if (typeof ref === 'number') return this.returns.get(ref);
    const match = /^(?:R-)?(\d+)$/i.exec(ref.trim());
    return match ? this.returns.get(Number(match[1])) : undefined;
  }

  require(ref: number | string, userId?: number): ReturnRequest {
    const found = this.find(ref);
    if (!found || (userId !== undefined && found.userId !== userId)) throw notFound('RETURN_NOT_FOUND', `Return ${ref} not found`);
    return found;
  }

  forUser(userId: number): ReturnRequest[] {
    return this.all().filter((r) => r.userId === userId);
  }

  create(userId: number, input: CreateReturnInput): { request: ReturnRequest; replayed: boolean } {
    if (input.externalId !== undefined) {
      const existing = this.all().find((r) => r.userId === userId && r.externalId === input.externalId);
      if (existing) {
        this.counters.returnReplays++;
        return { request: existing, replayed: true };
      }
    }
    for (const photo of input.photos) {
      if (!/^https?:\/\/\S+$/i.test(photo)) throw invalidArgument(`Photo "${photo}" is not an http(s) URL`);
    }
    if (input.photos.length > MAX_RETURN_PHOTOS) throw invalidArgument(`At most ${MAX_RETURN_PHOTOS} photos`);
    const order = this.orders.require(input.orderId, userId);
    const item = order.items.find((i) => i.id === input.itemId);
    if (!item) throw notFound('ORDER_ITEM_NOT_FOUND', `Order ${order.number} has no item ${input.itemId}`);
    if (order.status !== 'delivered') {
      throw conflict('ORDER_NOT_DELIVERED', `Order ${order.number} is ${order.status}; only delivered orders can be returned`);
    }
    const sameLine = this.all().filter((r) => r.orderId === order.id && r.itemId === item.id);
    const open = sameLine.find((r) => r.status === 'requested');
    if (open) throw conflict('RETURN_ALREADY_EXISTS', `Return ${open.number} for this item is already open`);
    if (input.quantity > item.quantity) {
      throw new ShopError(400, 'INVALID_QUANTITY', `Item ${item.id} was delivered in quantity ${item.quantity}, not ${input.quantity}`);
    }
    const returned = sameLine.filter((r) => r.status === 'accepted').reduce((sum, r) => sum + r.quantity, 0);
    if (input.quantity > item.quantity - returned) {
      throw conflict('RETURN_QUANTITY_EXCEEDED', `Only ${item.quantity - returned} of item ${item.id} can still be returned`);
    }
    const id = this.nextId++;
    const at = this.clock.stamp();
    const request: ReturnRequest = {
      id,
      number: formatReturnNumber(id),
      userId,
      orderId: order.id,
      orderNumber: order.number,
      itemId: item.id,
      productId: item.productId,
      name: item.name,
      quantity: input.quantity,
      reason: input.reason,
      photos: [...input.photos],
      status: 'requested',
      history: [{ status: 'requested', at }],
      comment: null,
      externalId: input.externalId ?? null,
      createdAt: at,
      updatedAt: at,
      statusChangedAt: at,
    };
    this.returns.set(id, request);
    this.counters.returnsCreated++;
    return { request, replayed: false };
  }

  /** A manager's decision (test knob): requested → accepted | rejected, once. */
  resolve(ref: number | string, status: 'accepted' | 'rejected', comment?: string): ReturnRequest {
    const request = this.require(ref);
    if (request.status === status) return request;
    if (request.status !== 'requested') throw conflict('RETURN_ALREADY_RESOLVED', `Return ${request.number} is already ${request.status}`);
    const at = this.clock.stamp();
    request.status = status;
    request.history.push({ status, at });
    request.comment = comment ?? null;
    request.updatedAt = at;
    request.statusChangedAt = at;
    return request;
  }

  changedSince(sinceMs: number, userId?: number): ReturnRequest[] {
    return this.all()
      .filter((r) => (userId === undefined || r.userId === userId) && Date.parse(r.statusChangedAt) > sinceMs)
      .sort((a, b) => Date.parse(a.statusChangedAt) - Date.parse(b.statusChangedAt) || a.id - b.id);
  }

  view(request: ReturnRequest): ReturnView {
    return {
      ...request,
      photos: [...request.photos],
      history: request.history.map((entry) => ({ ...entry })),
      statusName: RETURN_STATUS_NAMES[request.status],
    };
  }
}
