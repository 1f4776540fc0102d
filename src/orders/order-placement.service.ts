import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../common/unit-of-work';
import { BadRequestError, ConflictError, FieldError } from '../common/errors';
import { CatalogService } from '../catalog/catalog.service';
import { ProductVariant } from '../catalog/product-variant.entity';
import { UsersService } from '../identity/users.service';
import { UserRole } from '../identity/user-role.enum';
import { OrderColumnsChange, OrderHistoryService } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { randomUUID } from 'node:crypto';
import { Order, ShippingAddress } from './order.entity';
import { OrderItem } from './order-item.entity';
import { OrderStatus } from './order-status.enum';
import { LockedOrder, OrdersService } from './orders.service';
import { OrdersRepository } from './orders.repository';
import { formatMoney, fromCents, MAX_CENTS, toCents } from './money';
import { outstandingCents } from './order-amounts';
import { CreateOrderDto, OrderItemInputDto, ShippingAddressDto, UpdateOrderDto } from './dto/order.dto';

interface ResolvedLine {
  variant: ProductVariant;
  quantity: number;
  unitPrice: string;
}

/** An item as the edit diff shows it. */
interface ItemSnapshot {
  variantId: string;
  sku: string;
  quantity: number;
  unitPrice: string;
}

/** A new order as placed and read back. */
export interface PlacedOrder {
  order: Order;
  items: OrderItem[];
}

export interface OrderEdit {
  order: LockedOrder;
  items: OrderItem[];
  /** Items that the edit removes; the caller made sure nothing refers to them. */
  removed: OrderItem[];
  changed: boolean;
}

function toShippingAddress(dto: ShippingAddressDto): ShippingAddress {
  const address: ShippingAddress = {
    name: dto.name,
    line1: dto.line1,
    city: dto.city,
    postalCode: dto.postalCode,
    country: dto.country,
  };
  if (dto.line2 !== undefined) address.line2 = dto.line2;
  if (dto.region !== undefined) address.region = dto.region;
  if (dto.phone !== undefined) address.phone = dto.phone;
  return address;
}

const snapshot = (item: OrderItem): ItemSnapshot => ({
  variantId: item.productVariant.id,
  sku: item.sku,
  quantity: item.quantity,
  unitPrice: fromCents(toCents(item.unitPrice)),
});

/** Items are listed by created_at: one millisecond apart, they keep the order they were given in. */
function keepInOrder(items: OrderItem[]): void {
  const now = Date.now();
  items.forEach((item, index) => {
    item.createdAt = new Date(now + index);
    item.updatedAt = item.createdAt;
  });
}

const sameAddress = (a: ShippingAddress, b: ShippingAddress) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** Placing an order and editing it while pending: validation, totals in cents, history. */
@Injectable()
export class OrderPlacementService {
  constructor(
    private readonly orders: OrdersService,
    private readonly repository: OrdersRepository,
    private readonly catalog: CatalogService,
    private readonly users: UsersService,
    private readonly history: OrderHistoryService,
    private readonly uow: UnitOfWork,
  ) {}

  /**
   * Places an order: the order row (insert statement), its items (entities, at the flush) and its
   * `created` entry (the history statement, which starts the order's chain).
   */
  async create(dto: CreateOrderDto): Promise<PlacedOrder> {
    const customer = await this.users.findActive(dto.customerId, [UserRole.CUSTOMER]);
    if (!customer) {
      throw new BadRequestError('customerId is not an active customer', [
        { field: 'customerId', message: 'must be the id of an active user with role customer' },
      ]);
    }
    const lines = await this.resolveLines(dto.items);
    const order = {
      id: randomUUID(),
      orderNumber: await this.orders.nextOrderNumber(),
      customerId: customer.id,
      currency: dto.currency,
      shippingAddress: toShippingAddress(dto.shippingAddress),
      createdAt: new Date(),
    };
    const reference = this.orders.reference(order.id);
    const items = lines.map((line) => new OrderItem(reference, line.variant, line.quantity, line.unitPrice));
    keepInOrder(items);
    const totalAmount = this.totalOf(items);
    await this.repository.insert({ ...order, totalAmount });
    this.repository.add(items);
    await this.history.record({
      order: order.id,
      action: OrderHistoryAction.CREATED,
      newStatus: OrderStatus.PENDING,
      description: `Order ${order.orderNumber} created with ${items.length} item(s), total ${totalAmount} ${order.currency}`,
      additionalData: {
        items: items.map(snapshot),
        totalAmount,
        currency: order.currency,
      },
    });
    // Flush, then read: the answer is the order as stored.
    await this.uow.flush();
    return { order: await this.orders.get(order.id), items };
  }

  /**
   * Applies an edit to a pending order the caller has locked: replaces the items (matched by
   * variant, so kept items keep their ids), changes the address, recomputes the total and records
   * `edited` with the before/after of what changed. An edit that changes nothing records nothing.
   */
  async edit(order: LockedOrder, current: OrderItem[], dto: UpdateOrderDto): Promise<OrderEdit> {
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    const columns: OrderColumnsChange = {};
    let items = current;
    let removed: OrderItem[] = [];

    if (dto.items) {
      const lines = await this.resolveLines(dto.items);
      const beforeItems = current.map(snapshot);
      const byVariant = new Map(current.map((item) => [item.productVariant.id, item]));
      const next = lines.map((line) => {
        const existing = byVariant.get(line.variant.id);
        if (!existing) {
          return new OrderItem(this.orders.reference(order.id), line.variant, line.quantity, line.unitPrice);
        }
        byVariant.delete(line.variant.id);
        existing.quantity = line.quantity;
        existing.unitPrice = line.unitPrice;
        return existing;
      });
      keepInOrder(next.filter((item) => !current.includes(item)));
      removed = [...byVariant.values()];
      const afterItems = next.map(snapshot);
      if (JSON.stringify(beforeItems) !== JSON.stringify(afterItems)) {
        before.items = beforeItems;
        after.items = afterItems;
        const total = this.totalOf(next);
        if (total !== order.totalAmount) {
          this.assertCoversPayments(order, total);
          before.totalAmount = order.totalAmount;
          after.totalAmount = total;
          columns.totalAmount = total;
        }
        this.repository.add(next);
        this.repository.removeItems(removed);
      }
      items = next;
    }

    if (dto.shippingAddress) {
      const address = toShippingAddress(dto.shippingAddress);
      if (!sameAddress(address, order.shippingAddress)) {
        before.shippingAddress = order.shippingAddress;
        after.shippingAddress = address;
        columns.shippingAddress = address;
      }
    }

    const changed = Object.keys(after).length > 0;
    if (!changed) return { order, items, removed: [], changed };
    const edited = await this.orders.change(order, {
      action: OrderHistoryAction.EDITED,
      description: `Order edited: ${Object.keys(after).join(', ')}`,
      additionalData: { before, after },
      columns,
    });
    return { order: edited, items, removed, changed };
  }

  /** Checks that every variant exists and appears once; a 400 names each bad item. */
  private async resolveLines(input: OrderItemInputDto[]): Promise<ResolvedLine[]> {
    const variants = new Map(
      (await this.catalog.findVariants(input.map((line) => line.variantId))).map((v) => [v.id, v]),
    );
    const errors: FieldError[] = [];
    const seen = new Set<string>();
    input.forEach((line, index) => {
      if (!variants.has(line.variantId)) {
        errors.push({ field: `items.${index}.variantId`, message: 'no such product variant' });
      } else if (seen.has(line.variantId)) {
        errors.push({ field: `items.${index}.variantId`, message: 'each variant may appear only once' });
      }
      seen.add(line.variantId);
    });
    if (errors.length > 0) {
      throw new BadRequestError(
        `The request is not valid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
        errors,
      );
    }
    return input.map((line) => ({
      variant: variants.get(line.variantId)!,
      quantity: line.quantity,
      unitPrice: fromCents(toCents(line.unitPrice)),
    }));
  }

  /** Payments never exceed the total: an edit may not bring it below what was paid (409). */
  private assertCoversPayments(order: LockedOrder, total: string): void {
    if (outstandingCents({ totalAmount: total, amountPaid: order.amountPaid }) >= 0) return;
    throw new ConflictError(
      `Order ${order.orderNumber} has ${formatMoney(order.amountPaid)} ${order.currency} paid; the edit would bring its total to ${total}, below what was paid. ` +
        'Payments never exceed the total: keep the total at or above the amount paid',
      { totalAmount: total, amountPaid: formatMoney(order.amountPaid) },
    );
  }

  private totalOf(items: OrderItem[]): string {
    const cents = items.reduce((sum, item) => sum + toCents(item.unitPrice) * item.quantity, 0);
    if (cents > MAX_CENTS) {
      throw new BadRequestError('The order total is too large', [
        { field: 'items', message: `the total must not exceed ${fromCents(MAX_CENTS)}` },
      ]);
    }
    return fromCents(cents);
  }
}
