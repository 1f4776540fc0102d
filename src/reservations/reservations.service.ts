import { Injectable } from '@nestjs/common';
import { FilterQuery } from '@mikro-orm/core';
import { NotFoundError } from '../common/errors';
import { parseInstant } from '../common/instant';
import { Page, parseSort } from '../common/pagination';
import { ReservationsRepository } from './reservations.repository';
import { OrdersService } from '../orders/orders.service';
import { OrderStatus } from '../orders/order-status.enum';
import { InventoryReservation, ReservationData } from './inventory-reservation.entity';
import { ReleaseReason } from './release-reason.enum';
import { ReservationBookingService, ReservationLine, ReserveOptions } from './reservation-booking.service';
import { FulfilmentPlan, HeldUnits, ReservationSettlementService } from './reservation-settlement.service';
import type { ConfirmationInputRow } from './reservations.repository';
import {
  ListReservationsQueryDto,
  OrderReservationsQueryDto,
  ReservationResponse,
} from './dto/reservation.dto';

export type { ReservationLine, ReserveOptions } from './reservation-booking.service';

export interface CreateReservationInput {
  orderId: string;
  orderItemId: string;
  productVariantId: string;
  stockLocationId: string;
  quantity: number;
  /** Absent: the default TTL; null: never expires. */
  expiresAt?: Date | string | null;
  notes?: string | null;
}

export interface OrderItemReservationSummary {
  orderItemId: string;
  /** Units currently held: Σ (reserved − fulfilled) over the item's active reservations. */
  reserved: number;
  /** Units fulfilled from reservations (active or not). */
  fulfilled: number;
  /** Number of active reservations. */
  active: number;
}

/** Orders that no longer take new reservations. */
const CLOSED_STATUSES = new Set<OrderStatus>([
  OrderStatus.SHIPPED,
  OrderStatus.DELIVERED,
  OrderStatus.CANCELLED,
  OrderStatus.RETURN_REQUESTED,
  OrderStatus.RETURNED,
  OrderStatus.REFUNDED,
]);

const SORTABLE = {
  reservedAt: 'reservedAt',
  expiresAt: 'expiresAt',
  createdAt: 'createdAt',
  quantityReserved: 'quantityReserved',
};

export function toReservationResponse(r: ReservationData): ReservationResponse {
  return {
    id: r.id,
    orderId: r.order.id,
    orderItemId: r.orderItem.id,
    productVariantId: r.productVariant.id,
    stockLocationId: r.stockLocation.id,
    quantityReserved: r.quantityReserved,
    quantityFulfilled: r.quantityFulfilled,
    isActive: r.isActive,
    expiresAt: r.expiresAt?.toISOString() ?? null,
    reservedAt: r.reservedAt.toISOString(),
    releasedAt: r.releasedAt?.toISOString() ?? null,
    fulfilledAt: r.fulfilledAt?.toISOString() ?? null,
    releaseReason: r.releaseReason ?? null,
  };
}

/**
 * Inventory reservations: what other modules and the routes call. Making holds lives in
 * ReservationBookingService, ending them in ReservationSettlementService; this class adds the reads.
 * Mutations must run inside the unit of work (a mutating request or UnitOfWork.run).
 */
@Injectable()
export class ReservationsService {
  constructor(
    private readonly repository: ReservationsRepository,
    private readonly orders: OrdersService,
    private readonly booking: ReservationBookingService,
    private readonly settlement: ReservationSettlementService,
  ) {}

  /**
   * One reservation for an order item (POST /reservations): one statement (see
   * ReservationBookingService). The order must still be open; its row is locked by that statement
   * (the order lock), so a concurrent cancel cannot leave it holding stock.
   */
  async create(input: CreateReservationInput): Promise<ReservationData> {
    let expiresAt: Date | null | undefined;
    try {
      expiresAt =
        input.expiresAt === undefined || input.expiresAt === null
          ? input.expiresAt
          : toInstant(input.expiresAt);
    } catch (error) {
      // The order's own errors come first, as on every other path.
      await this.booking.assertOrderOpen(input.orderId, [...CLOSED_STATUSES]);
      throw error;
    }
    const [reservation] = await this.booking.reserveMany(
      input.orderId,
      [
        {
          orderItemId: input.orderItemId,
          productVariantId: input.productVariantId,
          stockLocationId: input.stockLocationId,
          quantity: input.quantity,
        },
      ],
      { expiresAt, notes: input.notes, closedStatuses: [...CLOSED_STATUSES] },
    );
    return reservation;
  }

  /**
   * Reserves every line or none (InsufficientStockError listing every short line). Lines on the
   * same variant and location are summed before checking. Used by order confirmation.
   */
  reserveMany(
    orderId: string,
    lines: ReservationLine[],
    options: ReserveOptions = {},
  ): Promise<ReservationData[]> {
    return this.booking.reserveMany(orderId, lines, options);
  }

  async get(id: string): Promise<InventoryReservation> {
    const reservation = await this.repository.findById(id);
    if (!reservation) throw new NotFoundError('Reservation', id);
    return reservation;
  }

  async list(query: ListReservationsQueryDto): Promise<Page<InventoryReservation>> {
    const where: FilterQuery<InventoryReservation> = {};
    if (query.orderId) where.order = query.orderId;
    if (query.productVariantId) where.productVariant = query.productVariantId;
    if (query.stockLocationId) where.stockLocation = query.stockLocationId;
    if (query.isActive !== undefined) where.isActive = query.isActive;
    if (query.expiresBefore) where.expiresAt = { $lt: parseInstant(query.expiresBefore, 'expiresBefore') };
    return this.repository.page(where, parseSort(query.sort, SORTABLE, '-reservedAt'), query);
  }

  /** GET /orders/:orderId/reservations: 404 for an unknown order. */
  async pageForOrder(orderId: string, query: OrderReservationsQueryDto): Promise<Page<InventoryReservation>> {
    await this.orders.get(orderId);
    return this.list({ ...query, orderId } as ListReservationsQueryDto);
  }

  /** Every reservation of the order, active or not, oldest first. */
  listForOrder(orderId: string): Promise<InventoryReservation[]> {
    return this.repository.findOldestFirst({ order: orderId });
  }

  /** Reservations of a variant (optionally only the active ones), oldest first. */
  listForVariant(variantId: string, options: { activeOnly?: boolean } = {}): Promise<InventoryReservation[]> {
    return this.repository.findOldestFirst({
      productVariant: variantId,
      ...(options.activeOnly ? { isActive: true } : {}),
    });
  }

  /** Per order item: units held, units fulfilled, number of active reservations. */
  async summaryForOrder(orderId: string): Promise<OrderItemReservationSummary[]> {
    const rows = await this.repository.summaryForOrder(orderId);
    return rows.map((row) => ({
      orderItemId: row.order_item_id,
      reserved: row.reserved,
      fulfilled: row.fulfilled,
      active: row.active,
    }));
  }

  /** Units held by active reservations of a variant, everywhere or at one location. */
  totalReserved(variantId: string, stockLocationId?: string): Promise<number> {
    return this.repository.totalReserved(variantId, stockLocationId);
  }

  /** Units held per location for a variant. */
  async totalReservedByLocation(variantId: string): Promise<{ stockLocationId: string; reserved: number }[]> {
    const rows = await this.repository.totalReservedByLocation(variantId);
    return rows.map((row) => ({ stockLocationId: row.stock_location_id, reserved: row.reserved }));
  }

  release(id: string): Promise<InventoryReservation> {
    return this.settlement.release(id, ReleaseReason.RELEASED);
  }

  /**
   * Fulfils part (or all) of one reservation: on hand and reserved go down together. For the
   * fulfillment module only (FulfillmentService.fulfilReservation), which records the units as shipped.
   */
  fulfil(id: string, quantity: number): Promise<InventoryReservation> {
    return this.settlement.fulfil(id, quantity);
  }

  extend(id: string, expiresAt: Date | string): Promise<InventoryReservation> {
    return this.settlement.extend(id, toInstant(expiresAt));
  }

  /**
   * Shipping's plan for holds its own statement locked and read (FulfillmentStatusService): which
   * units leave which holds and levels, and the entries; 409 when the location holds too few.
   */
  planFulfilment(
    orderId: string,
    quantities: Record<string, number>,
    location: { id: string; code: string },
    holds: readonly HeldUnits[],
    now: Date,
  ): FulfilmentPlan {
    return this.settlement.planFulfilment(orderId, quantities, location, holds, now);
  }

  /**
   * Confirmation's read (OrderConfirmationService): the order locked, its items with the units
   * their holds keep, the availability of their variants and the pinned locations, in one statement.
   */
  confirmationInput(
    orderId: string,
    pinnedLocationIds: readonly string[],
  ): Promise<ConfirmationInputRow | undefined> {
    return this.booking.confirmationInput(orderId, pinnedLocationIds);
  }

  /** Releases every active reservation of an order (cancel); returns how many. */
  releaseForOrder(orderId: string, reason: ReleaseReason): Promise<number> {
    return this.settlement.releaseForOrder(orderId, reason);
  }

  /** Releases up to `batchSize` expired reservations no other transaction holds; returns how many. */
  expire(batchSize = 100): Promise<number> {
    return this.settlement.expireDue(batchSize);
  }
}

/** A body's `expiresAt`: a string is ISO-8601 (UTC without a zone); a Date (internal callers) as is. */
function toInstant(value: Date | string): Date {
  return typeof value === 'string' ? parseInstant(value, 'expiresAt') : value;
}
