import { Injectable } from '@nestjs/common';
import { OrderHistoryService, RecordHistoryInput } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { ReservationData } from './inventory-reservation.entity';
import { ReleaseReason } from './release-reason.enum';

/** What happened to a reservation: it was made, extended, or (partly) released for a reason. */
export type ReservationChange = 'reserved' | 'extended' | ReleaseReason;

export interface ReservationEvent {
  reservation: ReservationData;
  change: ReservationChange;
  /** Units this change reserved, released or fulfilled. */
  quantity: number;
  sku: string;
  stockLocationCode: string;
  previousExpiresAt?: Date | null;
}

const RELEASE_WORDS: Record<ReleaseReason, string> = {
  [ReleaseReason.RELEASED]: 'released',
  [ReleaseReason.EXPIRED]: 'expired',
  [ReleaseReason.CANCELLED]: 'released (order cancelled)',
  [ReleaseReason.FULFILLED]: 'fulfilled',
};

function describe(event: ReservationEvent): string {
  const { reservation, change, quantity, sku, stockLocationCode: code } = event;
  switch (change) {
    case 'reserved':
      return (
        `Reserved ${quantity} × ${sku} at ${code}` +
        (reservation.expiresAt ? ` until ${reservation.expiresAt.toISOString()}` : '')
      );
    case 'extended':
      return `Reservation of ${sku} at ${code} extended until ${reservation.expiresAt?.toISOString() ?? 'never'}`;
    default:
      return `${quantity} × ${sku} at ${code} ${RELEASE_WORDS[change]}`;
  }
}

/**
 * One history entry per reservation change (`inventory_reserved` when units are held or a hold is
 * extended, `inventory_released` when units are released, expire or are fulfilled), with the
 * quantities, variant and location in additional_data. The entries of one call are written by one
 * statement (OrderHistoryService.recordMany), in (order, reservation) order.
 */
@Injectable()
export class ReservationHistory {
  constructor(private readonly history: OrderHistoryService) {}

  async record(events: ReservationEvent[]): Promise<void> {
    await this.history.recordMany(sortEvents(events).map(historyInputOf));
  }
}

/** Events in the order their entries are written: by order, then by reservation id. */
export function sortEvents(events: readonly ReservationEvent[]): ReservationEvent[] {
  return [...events].sort(
    (a, b) =>
      a.reservation.order.id.localeCompare(b.reservation.order.id) ||
      a.reservation.id.localeCompare(b.reservation.id),
  );
}

/** The history entry of one reservation change. */
export function historyInputOf(event: ReservationEvent): RecordHistoryInput {
  const r = event.reservation;
  const held = event.change === 'reserved' || event.change === 'extended';
  return {
    order: r.order.id,
    action: held ? OrderHistoryAction.INVENTORY_RESERVED : OrderHistoryAction.INVENTORY_RELEASED,
    description: describe(event),
    additionalData: {
      change: event.change,
      reservationId: r.id,
      orderItemId: r.orderItem.id,
      productVariantId: r.productVariant.id,
      sku: event.sku,
      stockLocationId: r.stockLocation.id,
      stockLocationCode: event.stockLocationCode,
      quantity: event.quantity,
      quantityReserved: r.quantityReserved,
      quantityFulfilled: r.quantityFulfilled,
      isActive: r.isActive,
      releaseReason: r.releaseReason ?? null,
      expiresAt: r.expiresAt?.toISOString() ?? null,
      ...(event.change === 'extended'
        ? { previousExpiresAt: event.previousExpiresAt?.toISOString() ?? null }
        : {}),
    },
  };
}
