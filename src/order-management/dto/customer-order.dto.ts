import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FulfillmentStatus } from '../../fulfillment/fulfillment-status.enum';
import { OrderStatus } from '../../orders/order-status.enum';
import { OrderItemResponse, ShippingAddressResponse } from '../../orders/dto/order.dto';

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

/** A customer's own order, without internal data. */
export class CustomerOrderResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ORD-2026-000042' })
  orderNumber: string;

  @ApiProperty({ enum: OrderStatus, enumName: 'OrderStatus' })
  status: OrderStatus;

  @ApiProperty({ example: 'EUR' })
  currency: string;

  @ApiProperty({ example: '39.98' })
  totalAmount: string;

  @ApiProperty({ example: '39.98' })
  amountPaid: string;

  @ApiProperty({ example: '0.00' })
  amountRefunded: string;

  @ApiProperty({ type: ShippingAddressResponse })
  shippingAddress: ShippingAddressResponse;

  @ApiProperty({ type: [OrderItemResponse] })
  items: OrderItemResponse[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class CustomerOrderDetailResponse extends CustomerOrderResponse {
  @ApiProperty({ type: [ShipmentResponse], description: 'Fulfillments of the order that are not cancelled' })
  shipments: ShipmentResponse[];
}
