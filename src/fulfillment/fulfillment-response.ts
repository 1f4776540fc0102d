import { allowedFulfillmentTransitions } from './fulfillment-state-machine';
import { FulfillmentStatus } from './fulfillment-status.enum';
import { FulfillmentResponse } from './dto/fulfillment-response.dto';
import { FulfillmentItems, OrderFulfillment } from './order-fulfillment.entity';

const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

export function toFulfillmentResponse(f: OrderFulfillment): FulfillmentResponse {
  return {
    id: f.id,
    orderId: f.order.id,
    fulfillmentNumber: f.fulfillmentNumber,
    status: f.status,
    allowedTransitions: [...allowedFulfillmentTransitions(f.status)],
    warehouseLocation: f.warehouseLocation,
    items: { ...f.items },
    assignedToId: f.assignedTo?.id ?? null,
    assignedAt: iso(f.assignedAt),
    boxSize: f.boxSize ?? null,
    weight: f.weight ?? null,
    packingMaterials: f.packingMaterials ? [...f.packingMaterials] : null,
    pickingNotes: f.pickingNotes ?? null,
    packingNotes: f.packingNotes ?? null,
    pickingStartedAt: iso(f.pickingStartedAt),
    pickingCompletedAt: iso(f.pickingCompletedAt),
    packingStartedAt: iso(f.packingStartedAt),
    packingCompletedAt: iso(f.packingCompletedAt),
    shippedAt: iso(f.shippedAt),
    fulfilledAt: iso(f.fulfilledAt),
    cancelledAt: iso(f.cancelledAt),
    version: f.version,
    createdAt: f.createdAt.toISOString(),
    updatedAt: f.updatedAt.toISOString(),
  };
}

/** Every column of `order_fulfillments`: what `toFulfillmentResponseFromRow` needs. */
export const FULFILLMENT_COLUMNS =
  'id, order_id, fulfillment_number, status, warehouse_location, items, assigned_to_id, assigned_at, ' +
  'box_size, weight, packing_materials, picking_notes, packing_notes, picking_started_at, ' +
  'picking_completed_at, packing_started_at, packing_completed_at, shipped_at, fulfilled_at, ' +
  'cancelled_at, version, created_at, updated_at';

type Timestamp = Date | string;

/** A row of `order_fulfillments` as `em.execute` returns it (timestamps as text, weight as numeric text). */
export interface FulfillmentRow {
  id: string;
  order_id: string;
  fulfillment_number: string;
  status: FulfillmentStatus;
  warehouse_location: string;
  items: FulfillmentItems;
  assigned_to_id: string | null;
  assigned_at: Timestamp | null;
  box_size: string | null;
  weight: string | null;
  packing_materials: string[] | null;
  picking_notes: string | null;
  packing_notes: string | null;
  picking_started_at: Timestamp | null;
  picking_completed_at: Timestamp | null;
  packing_started_at: Timestamp | null;
  packing_completed_at: Timestamp | null;
  shipped_at: Timestamp | null;
  fulfilled_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

const isoOf = (value: Timestamp | null): string | null => (value ? new Date(value).toISOString() : null);

/** The same response as `toFulfillmentResponse`, from a raw row. */
export function toFulfillmentResponseFromRow(row: FulfillmentRow): FulfillmentResponse {
  return {
    id: row.id,
    orderId: row.order_id,
    fulfillmentNumber: row.fulfillment_number,
    status: row.status,
    allowedTransitions: [...allowedFulfillmentTransitions(row.status)],
    warehouseLocation: row.warehouse_location,
    items: { ...row.items },
    assignedToId: row.assigned_to_id ?? null,
    assignedAt: isoOf(row.assigned_at),
    boxSize: row.box_size ?? null,
    weight: row.weight ?? null,
    packingMaterials: row.packing_materials ? [...row.packing_materials] : null,
    pickingNotes: row.picking_notes ?? null,
    packingNotes: row.packing_notes ?? null,
    pickingStartedAt: isoOf(row.picking_started_at),
    pickingCompletedAt: isoOf(row.picking_completed_at),
    packingStartedAt: isoOf(row.packing_started_at),
    packingCompletedAt: isoOf(row.packing_completed_at),
    shippedAt: isoOf(row.shipped_at),
    fulfilledAt: isoOf(row.fulfilled_at),
    cancelledAt: isoOf(row.cancelled_at),
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
