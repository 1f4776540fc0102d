import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FulfillmentStatus } from '../fulfillment-status.enum';

export class FulfillmentResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ example: 'FUL-2026-000123' })
  fulfillmentNumber: string;

  @ApiProperty({ enum: FulfillmentStatus, enumName: 'FulfillmentStatus' })
  status: FulfillmentStatus;

  @ApiProperty({
    enum: FulfillmentStatus,
    enumName: 'FulfillmentStatus',
    isArray: true,
    description: 'The statuses this fulfillment may move to next',
  })
  allowedTransitions: FulfillmentStatus[];

  @ApiProperty({ example: 'WH-A' })
  warehouseLocation: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { '3f1c2b7e-8d7a-4c59-9a43-0b6f5d2e8c11': 2 },
    description: 'Order item id → quantity',
  })
  items: Record<string, number>;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String })
  assignedToId: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  assignedAt: string | null;

  @ApiPropertyOptional({ example: 'M', nullable: true, type: String })
  boxSize: string | null;

  @ApiPropertyOptional({ example: '1.250', nullable: true, type: String, description: 'Kilograms' })
  weight: string | null;

  @ApiPropertyOptional({ type: [String], nullable: true, example: ['bubble wrap'] })
  packingMaterials: string[] | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  pickingNotes: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  packingNotes: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  pickingStartedAt: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  pickingCompletedAt: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  packingStartedAt: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  packingCompletedAt: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  shippedAt: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  fulfilledAt: string | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, type: String })
  cancelledAt: string | null;

  @ApiProperty({ example: 3 })
  version: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class FulfillmentCountsResponse {
  @ApiProperty({ example: 4 }) pending: number;
  @ApiProperty({ example: 2 }) picking: number;
  @ApiProperty({ example: 1 }) packing: number;
  @ApiProperty({ example: 0 }) ready_to_ship: number;
  @ApiProperty({ example: 12 }) shipped: number;
  @ApiProperty({ example: 0 }) partially_fulfilled: number;
  @ApiProperty({ example: 30 }) fulfilled: number;
  @ApiProperty({ example: 1 }) cancelled: number;
}

export class FulfillmentAveragesResponse {
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 420.5,
    description: 'Average picking_started_at → picking_completed_at; null without data',
  })
  pickingSeconds: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 300,
    description: 'Average packing_started_at → packing_completed_at; null without data',
  })
  packingSeconds: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 3600,
    description: 'Average ready to ship (packing_completed_at) → shipped_at; null without data',
  })
  toShipSeconds: number | null;
}

export class FulfillmentStatisticsResponse {
  @ApiProperty({ type: FulfillmentCountsResponse, description: 'Every status, zeros included' })
  byStatus: Record<FulfillmentStatus, number>;

  @ApiProperty({ type: FulfillmentAveragesResponse })
  averages: FulfillmentAveragesResponse;
}
