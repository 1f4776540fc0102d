import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OptionalInstant } from '../../common/instant-property';
import { PageQueryDto } from '../../common/pagination';
import { UserRole } from '../../identity/user-role.enum';
import { OrderStatus } from '../../orders/order-status.enum';
import { OrderHistoryAction } from '../order-history-action.enum';
import { EnumListFilter, IsId, Optional } from '../../common/field-decorators';

/** Filters of every history list: `?action=shipped&action=delivered&from=…&to=…&performedById=…`. */
export class ListOrderHistoryQueryDto extends PageQueryDto {
  @EnumListFilter(OrderHistoryAction, [OrderHistoryAction.SHIPPED, OrderHistoryAction.DELIVERED])
  action?: OrderHistoryAction[];

  @OptionalInstant({
    description: 'Entries at or after this instant (ISO-8601; a date alone means its start, UTC)',
    example: '2026-01-01T00:00:00Z',
    strictSeparator: true,
  })
  from?: string;

  @OptionalInstant({
    description: 'Entries at or before this instant (ISO-8601; a date alone includes that whole day, UTC)',
    example: '2026-01-31T23:59:59Z',
    strictSeparator: true,
  })
  to?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Entries by this user' })
  @Optional()
  @IsId()
  performedById?: string;
}

export class ListHistoryQueryDto extends ListOrderHistoryQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Entries of this order' })
  @Optional()
  @IsId()
  orderId?: string;
}

export class HistoryPerformerResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Jane Doe' })
  fullName: string;

  @ApiProperty({ enum: UserRole, enumName: 'UserRole' })
  role: UserRole;
}

export class HistoryEntryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ example: 3, description: "Position in the order's hash chain, from 1" })
  sequence: number;

  @ApiProperty({ enum: OrderHistoryAction, enumName: 'OrderHistoryAction' })
  action: OrderHistoryAction;

  @ApiProperty({ type: String, nullable: true, example: 'confirmed' })
  oldStatus: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'processing' })
  newStatus: string | null;

  @ApiProperty({ example: 'Fulfillment FUL-2026-000042 started picking' })
  description: string;

  @ApiProperty({
    type: HistoryPerformerResponse,
    nullable: true,
    description: 'Null when the system (a job) acted',
  })
  performedBy: HistoryPerformerResponse | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { fulfillmentId: '4b0c6c1e-8a55-4f7b-9f0e-0d7f3c9f5a21' },
  })
  additionalData: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ipAddress: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0' })
  userAgent: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ example: 'a3f1…', description: 'SHA-256 (hex) over the canonical content of the entry' })
  hash: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "The hash of the order's previous entry; null for the first",
  })
  previousHash: string | null;
}

export class HistoryVerificationResponse {
  @ApiProperty({ example: true, description: 'Every hash recomputes and every link holds' })
  valid: boolean;

  @ApiProperty({ example: 12, description: 'Entries of the order that were checked' })
  entries: number;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The first entry whose hash, link or sequence does not hold; null when valid',
  })
  firstBrokenEntryId: string | null;
}

/** For GET /me/orders/:id/timeline (mounted by the order lifecycle). */
export class CustomerTimelineEntryResponse {
  @ApiProperty({
    enum: OrderHistoryAction,
    enumName: 'OrderHistoryAction',
    example: OrderHistoryAction.SHIPPED,
  })
  action: OrderHistoryAction;

  @ApiProperty({
    enum: OrderStatus,
    enumName: 'OrderStatus',
    nullable: true,
    description: 'Order status after it',
  })
  status: OrderStatus | null;

  @ApiProperty({ example: 'Your order has shipped.' })
  description: string;

  @ApiProperty({ format: 'date-time' })
  occurredAt: string;
}
