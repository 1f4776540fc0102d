import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsId, Optional, SingleLine } from '../../common/field-decorators';
import { OrderHistoryAction } from '../../history/order-history-action.enum';

export const MAX_EVENTS_LIMIT = 500;

export class ListEventsQueryDto {
  @ApiPropertyOptional({
    description: 'The `nextCursor` of the previous page; absent: from the first event',
    maxLength: 200,
    pattern: '^[A-Za-z0-9_-]+$',
  })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'must be a nextCursor value of GET /events' })
  after?: string;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_EVENTS_LIMIT,
    default: 100,
  })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_EVENTS_LIMIT)
  limit: number = 100;

  @ApiPropertyOptional({
    enum: OrderHistoryAction,
    enumName: 'OrderHistoryAction',
    description: 'Only events of this type',
  })
  @Optional()
  @IsIn(Object.values(OrderHistoryAction))
  type?: OrderHistoryAction;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only events of this order' })
  @Optional()
  @IsId()
  orderId?: string;
}

export class IntegrationEventData {
  @ApiProperty({ type: String, nullable: true, example: 'pending' })
  oldStatus: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'confirmed' })
  newStatus: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Null when the system acted' })
  performedById: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The entry’s details without IPs, user agents or note texts',
  })
  details: Record<string, unknown> | null;
}

export class IntegrationEventResponse {
  @ApiProperty({ format: 'uuid', description: 'The history entry’s id; deduplicate on it' })
  id: string;

  @ApiProperty({ enum: OrderHistoryAction, enumName: 'OrderHistoryAction' })
  type: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ example: 'ORD-000123' })
  orderNumber: string;

  @ApiProperty({ example: 2, description: 'The entry’s place in its order’s chain, from 1' })
  sequence: number;

  @ApiProperty({ format: 'date-time' })
  occurredAt: string;

  @ApiProperty({ type: IntegrationEventData })
  data: IntegrationEventData;
}

export class EventPageResponse {
  @ApiProperty({ type: [IntegrationEventResponse], maxItems: MAX_EVENTS_LIMIT })
  data: IntegrationEventResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Pass as `after` to read on; the same cursor comes back while there is nothing new (null only when nothing was read yet)',
  })
  nextCursor: string | null;
}
