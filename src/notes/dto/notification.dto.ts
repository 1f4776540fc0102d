import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { NotificationStatus } from '../notification-status.enum';
import { IsId, Optional } from '../../common/field-decorators';

export class ListNotificationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: NotificationStatus, enumName: 'NotificationStatus' })
  @Optional()
  @IsEnum(NotificationStatus)
  status?: NotificationStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  orderId?: string;
}

export class NotificationResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Null once the note has been deleted',
  })
  noteId: string | null;

  @ApiProperty({ example: 'webhook', description: '`log` or `webhook`, chosen when the row was written' })
  channel: string;

  @ApiProperty({ enum: NotificationStatus, enumName: 'NotificationStatus' })
  status: NotificationStatus;

  @ApiProperty({ example: 1, description: 'Delivery attempts made so far' })
  attempts: number;

  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503 from the webhook receiver' })
  lastError: string | null;

  @ApiProperty({ format: 'date-time', description: 'Earliest time of the next attempt (while pending)' })
  nextAttemptAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  sentAt: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'What is delivered: order, note text and recipient',
    example: {
      type: 'order.note',
      orderId: '0b7c5f4e-9f51-4bb5-b0d6-2f4a3c1d9e11',
      orderNumber: 'ORD-000123',
      noteId: '4b0e1c6a-7a0b-4a51-8d1b-3c9b5f0f2a10',
      note: 'Your parcel will be left with your neighbour.',
      customer: { id: '7d1e…', email: 'jane@example.com', name: 'Jane Doe' },
    },
  })
  payload: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
