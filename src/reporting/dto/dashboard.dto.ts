import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum } from 'class-validator';
import { OptionalInstant } from '../../common/instant-property';
import { Optional } from '../../common/field-decorators';

export enum AnalyticsInterval {
  DAY = 'day',
  WEEK = 'week',
}

/** At most this many buckets per request: 366 days, or 366 weeks. */
export const MAX_BUCKETS = 366;
export const DEFAULT_RANGE_DAYS = 30;

export class AnalyticsQueryDto {
  @OptionalInstant({
    example: '2026-11-01T00:00:00Z',
    description: 'Start, inclusive (default: 30 days before `to`); a date alone means its start (UTC)',
  })
  from?: string;

  @OptionalInstant({
    example: '2026-12-01T00:00:00Z',
    description:
      'End, exclusive (default: now); a date alone includes that whole day (UTC). At most 366 buckets after `from`',
  })
  to?: string;

  @ApiPropertyOptional({
    enum: AnalyticsInterval,
    enumName: 'AnalyticsInterval',
    default: AnalyticsInterval.DAY,
    description: 'Bucket size; buckets start at 00:00 UTC (weeks on Monday)',
  })
  @Optional()
  @IsEnum(AnalyticsInterval)
  interval: AnalyticsInterval = AnalyticsInterval.DAY;
}

export class OrdersByStatusResponse {
  @ApiProperty({ example: 4 }) pending: number;
  @ApiProperty({ example: 3 }) confirmed: number;
  @ApiProperty({ example: 2 }) processing: number;
  @ApiProperty({ example: 5 }) shipped: number;
  @ApiProperty({ example: 20 }) delivered: number;
  @ApiProperty({ example: 1 }) cancelled: number;
  @ApiProperty({ example: 0 }) return_requested: number;
  @ApiProperty({ example: 0 }) returned: number;
  @ApiProperty({ example: 1 }) refunded: number;
}

export class FulfillmentsByStatusResponse {
  @ApiProperty({ example: 2 }) pending: number;
  @ApiProperty({ example: 1 }) picking: number;
  @ApiProperty({ example: 1 }) packing: number;
  @ApiProperty({ example: 0 }) ready_to_ship: number;
  @ApiProperty({ example: 3 }) shipped: number;
  @ApiProperty({ example: 0 }) partially_fulfilled: number;
  @ApiProperty({ example: 12 }) fulfilled: number;
  @ApiProperty({ example: 1 }) cancelled: number;
}

export class ReservationTotalsResponse {
  @ApiProperty({ example: 7, description: 'Reservations' })
  count: number;

  @ApiProperty({ example: 15, description: 'Units still held (reserved − fulfilled)' })
  units: number;
}

export class DashboardSummaryResponse {
  @ApiProperty({ type: OrdersByStatusResponse, description: 'Every order status, zeros included' })
  ordersByStatus: OrdersByStatusResponse;

  @ApiProperty({ type: FulfillmentsByStatusResponse, description: 'All 8 fulfillment statuses' })
  fulfillmentsByStatus: FulfillmentsByStatusResponse;

  @ApiProperty({ type: ReservationTotalsResponse })
  activeReservations: ReservationTotalsResponse;

  @ApiProperty({
    type: ReservationTotalsResponse,
    description:
      'Active reservations whose expiresAt is within the next 24 h (or already past, not yet swept)',
  })
  reservationsExpiringIn24h: ReservationTotalsResponse;

  @ApiProperty({ example: 2, description: 'Customer notifications waiting to be sent' })
  notificationsPending: number;

  @ApiProperty({ format: 'date-time' })
  generatedAt: string;
}

export class StageAveragesResponse {
  @ApiProperty({ nullable: true, type: Number, example: 1800, description: 'created → picking started' })
  waitingSeconds: number | null;

  @ApiProperty({ nullable: true, type: Number, example: 600, description: 'picking started → completed' })
  pickingSeconds: number | null;

  @ApiProperty({ nullable: true, type: Number, example: 300, description: 'packing started → completed' })
  packingSeconds: number | null;

  @ApiProperty({ nullable: true, type: Number, example: 900, description: 'packing completed → shipped' })
  toShipSeconds: number | null;

  @ApiProperty({ nullable: true, type: Number, example: 3600, description: 'created → shipped' })
  totalSeconds: number | null;
}

export class FulfillmentBucketResponse {
  @ApiProperty({ format: 'date-time', example: '2026-11-30T00:00:00.000Z' })
  bucketStart: string;

  @ApiProperty({ example: 12, description: 'Fulfillments shipped in the bucket' })
  shipped: number;

  @ApiProperty({
    type: StageAveragesResponse,
    description: 'Averages over the fulfillments shipped in the bucket',
  })
  averages: StageAveragesResponse;
}

export class FulfillmentAnalyticsResponse {
  @ApiProperty({ format: 'date-time' })
  from: string;

  @ApiProperty({ format: 'date-time' })
  to: string;

  @ApiProperty({ enum: AnalyticsInterval, enumName: 'AnalyticsInterval' })
  interval: AnalyticsInterval;

  @ApiProperty({ example: 40 })
  totalShipped: number;

  @ApiProperty({ type: StageAveragesResponse, description: 'Over every fulfillment shipped in the range' })
  averages: StageAveragesResponse;

  @ApiProperty({ type: [FulfillmentBucketResponse] })
  buckets: FulfillmentBucketResponse[];
}

export class HistoryBucketResponse {
  @ApiProperty({ format: 'date-time', example: '2026-11-30T00:00:00.000Z' })
  bucketStart: string;

  @ApiProperty({ example: 57 })
  total: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { created: 10, confirmed: 8, shipped: 5 },
    description: 'Entries per action; every one of the 18 actions is present (zeros included)',
  })
  counts: Record<string, number>;
}

export class HistoryAnalyticsResponse {
  @ApiProperty({ format: 'date-time' })
  from: string;

  @ApiProperty({ format: 'date-time' })
  to: string;

  @ApiProperty({ enum: AnalyticsInterval, enumName: 'AnalyticsInterval' })
  interval: AnalyticsInterval;

  @ApiProperty({ example: 230 })
  total: number;

  @ApiProperty({ type: [HistoryBucketResponse] })
  buckets: HistoryBucketResponse[];
}
