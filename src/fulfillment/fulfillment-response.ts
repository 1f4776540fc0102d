import { allowedFulfillmentTransitions } from './fulfillment-state-machine';
import { FulfillmentRow, Timestamp } from './fulfillment-query.repository';
import { FulfillmentResponse } from './dto/fulfillment-response.dto';

const iso = (value: Timestamp | null): string | null => (value ? new Date(value).toISOString() : null);

/**
 * THE fulfillment response, from a row of the read model (FULFILLMENT_COLUMNS): the only mapper,
 * for GET /fulfillments/:id, every list and every action that answers with a fulfillment.
 */
export function toFulfillmentResponse(row: FulfillmentRow): FulfillmentResponse {
  return {
    id: row.id,
    orderId: row.order_id,
    fulfillmentNumber: row.fulfillment_number,
    status: row.status,
    allowedTransitions: [...allowedFulfillmentTransitions(row.status)],
    warehouseLocation: row.warehouse_location,
    items: { ...row.items },
    assignedToId: row.assigned_to_id ?? null,
    assignedAt: iso(row.assigned_at),
    boxSize: row.box_size ?? null,
    weight: row.weight ?? null,
    packingMaterials: row.packing_materials ? [...row.packing_materials] : null,
    pickingNotes: row.picking_notes ?? null,
    packingNotes: row.packing_notes ?? null,
    pickingStartedAt: iso(row.picking_started_at),
    pickingCompletedAt: iso(row.picking_completed_at),
    packingStartedAt: iso(row.packing_started_at),
    packingCompletedAt: iso(row.packing_completed_at),
    shippedAt: iso(row.shipped_at),
    fulfilledAt: iso(row.fulfilled_at),
    cancelledAt: iso(row.cancelled_at),
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
