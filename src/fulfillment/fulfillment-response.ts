import { allowedFulfillmentTransitions } from './fulfillment-state-machine';
import { FulfillmentResponse } from './dto/fulfillment-response.dto';
import { OrderFulfillment } from './order-fulfillment.entity';

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
