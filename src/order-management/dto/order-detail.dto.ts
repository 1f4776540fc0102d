import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FulfillmentStatus } from '../../fulfillment/fulfillment-status.enum';
import { OrderItemResponse, OrderResponse } from '../../orders/dto/order.dto';
import { OrderAction } from '../order-actions';

export class OrderDetailItemResponse extends OrderItemResponse {
  @ApiProperty({ example: 2, description: 'Units held by active reservations (reserved − fulfilled)' })
  quantityReserved: number;

  @ApiProperty({ example: 0, description: 'Units taken from reservations by shipping' })
  quantityFulfilled: number;

  @ApiProperty({ example: 0, description: 'Units in shipped fulfillments' })
  quantityShipped: number;
}

export class ReservationSummaryResponse {
  @ApiProperty({ example: 2, description: 'Active reservations' })
  active: number;

  @ApiProperty({ example: 3, description: 'Units held by them' })
  unitsReserved: number;

  @ApiProperty({ example: 0, description: 'Units fulfilled from reservations (shipped)' })
  unitsFulfilled: number;
}

export class OrderFulfillmentSummaryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'FUL-2026-000007' })
  fulfillmentNumber: string;

  @ApiProperty({ enum: FulfillmentStatus, enumName: 'FulfillmentStatus' })
  status: FulfillmentStatus;

  @ApiProperty({ example: 'WH-A' })
  warehouseLocation: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { '6f1c2b9e-2d1a-4a57-9a43-0c1f1b7e9d10': 2 },
    description: 'Order item id → quantity',
  })
  items: Record<string, number>;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String })
  assignedToId: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  shippedAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** GET /orders/:id and every lifecycle action answer with this. */
export class OrderDetailResponse extends OrderResponse {
  @ApiProperty({ type: [OrderDetailItemResponse] })
  declare items: OrderDetailItemResponse[];

  @ApiProperty({ type: ReservationSummaryResponse })
  reservations: ReservationSummaryResponse;

  @ApiProperty({ type: [OrderFulfillmentSummaryResponse] })
  fulfillments: OrderFulfillmentSummaryResponse[];

  @ApiProperty({
    enum: OrderAction,
    enumName: 'OrderAction',
    isArray: true,
    example: ['payment', 'fulfil', 'cancel'],
    description:
      'Exactly the actions the order accepts now: its status allows them and their own rule holds (payment: something outstanding; fulfil: units in no fulfillment; cancel: nothing shipped; return-request and receive-return: a shipped unit not returned; refund: something paid not refunded). confirm also needs stock',
  })
  allowedActions: OrderAction[];
}
