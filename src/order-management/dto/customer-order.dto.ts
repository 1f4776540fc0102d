import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
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
 * A customer's own order, without internal data: the staff view's fields in the same order, less
 * `customerId` (the customer is the caller). Only what toCustomerOrderResponse (order-views.ts) maps
 * is sent; a new required field of OrderResponse stops it compiling until it is mapped or omitted here.
 */
export class CustomerOrderResponse extends OmitType(OrderResponse, ['customerId'] as const) {}

export class CustomerOrderDetailResponse extends CustomerOrderResponse {
  @ApiProperty({ type: [ShipmentResponse], description: 'Fulfillments of the order that are not cancelled' })
  shipments: ShipmentResponse[];
}
