import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { FulfillmentStatus } from '../../fulfillment/fulfillment-status.enum';
import { OrderResponse } from '../../orders/dto/order.dto';

export class ShipmentItemResponse {
  @ApiProperty({ format: 'uuid' })
  orderItemId: string;

  @ApiProperty({ example: 'TSHIRT-BLK-M' })
  sku: string;

  @ApiProperty({ example: 'T-shirt, black, M' })
  name: string;

  @ApiProperty({ example: 1 })
  quantity: number;
}

/** A fulfillment as the customer sees it: no warehouse, staff, notes or packing details. */
export class ShipmentResponse {
  @ApiProperty({ example: 'FUL-2026-000007' })
  fulfillmentNumber: string;

  @ApiProperty({ enum: FulfillmentStatus, enumName: 'FulfillmentStatus' })
  status: FulfillmentStatus;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  shippedAt: string | null;

  @ApiProperty({ type: [ShipmentItemResponse] })
  items: ShipmentItemResponse[];
}

/**
 * A customer's own order: the staff view's fields the customer may see (an allowlist: a field added
 * to OrderResponse is not shown here unless it is added to the list), in the same order.
 */
export class CustomerOrderResponse extends PickType(OrderResponse, [
  'id',
  'orderNumber',
  'status',
  'currency',
  'totalAmount',
  'amountPaid',
  'amountRefunded',
  'shippingAddress',
  'items',
  'createdAt',
  'updatedAt',
] as const) {}

export class CustomerOrderDetailResponse extends CustomerOrderResponse {
  @ApiProperty({ type: [ShipmentResponse], description: 'Fulfillments of the order that are not cancelled' })
  shipments: ShipmentResponse[];
}
