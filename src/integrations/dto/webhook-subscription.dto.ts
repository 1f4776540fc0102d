import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEnum,
  IsIn,
  IsString,
  Length,
  MaxLength,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { Optional, SingleLine } from '../../common/field-decorators';
import { OrderHistoryAction } from '../../history/order-history-action.enum';
import { WebhookDeliveryStatus } from '../webhook-delivery-status.enum';

export const ALL_EVENTS = '*';
export const EVENT_CHOICES = [ALL_EVENTS, ...Object.values(OrderHistoryAction)];

const URL_DOC =
  'http(s) URL that receives a JSON POST per event. Unless WEBHOOK_ALLOW_PRIVATE_URLS=true, its host must resolve only to public addresses (no loopback, private, link-local, CGNAT, unique-local or cloud metadata addresses); checked again before every delivery. Redirects are not followed.';
const EVENTS_DOC = 'History actions to receive (`confirmed`, `shipped`, …), or `["*"]` for every event';

export class CreateWebhookSubscriptionDto {
  @ApiProperty({ description: URL_DOC, example: 'https://erp.example.com/oms/events', maxLength: 2048 })
  @IsString()
  @SingleLine()
  @MaxLength(2048)
  url: string;

  @ApiProperty({
    description: 'Shared secret for the X-OMS-Signature HMAC; stored encrypted, never returned',
    minLength: 32,
    maxLength: 256,
    example: 'c2VjcmV0LXNoYXJlZC13aXRoLXRoZS1yZWNlaXZlci0wMTIzNDU2Nzg5',
  })
  @IsString()
  @SingleLine()
  @Length(32, 256)
  secret: string;

  @ApiProperty({
    description: EVENTS_DOC,
    type: [String],
    enum: EVENT_CHOICES,
    minItems: 1,
    maxItems: EVENT_CHOICES.length,
    example: ['confirmed', 'shipped'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_CHOICES.length)
  @ArrayUnique()
  @IsIn(EVENT_CHOICES, { each: true })
  events: string[];

  @ApiPropertyOptional({ maxLength: 500, example: 'ERP order sync' })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(500)
  description?: string;
}

export class UpdateWebhookSubscriptionDto {
  @ApiPropertyOptional({
    description: URL_DOC,
    maxLength: 2048,
    example: 'https://erp.example.com/oms/events-v2',
  })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({
    description: 'A new secret (rotation); never returned',
    minLength: 32,
    maxLength: 256,
    example: 'bmV3LXNlY3JldC1zaGFyZWQtd2l0aC10aGUtcmVjZWl2ZXItOTg3NjU0MzIx',
  })
  @Optional()
  @IsString()
  @SingleLine()
  @Length(32, 256)
  secret?: string;

  @ApiPropertyOptional({
    description: EVENTS_DOC,
    type: [String],
    enum: EVENT_CHOICES,
    minItems: 1,
    maxItems: EVENT_CHOICES.length,
    example: ['*'],
  })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_CHOICES.length)
  @ArrayUnique()
  @IsIn(EVENT_CHOICES, { each: true })
  events?: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 500,
    example: 'ERP order sync (all events)',
  })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({
    example: false,
    description:
      'false pauses the subscription: events that happen while it is paused are not queued for it (read them from GET /events), and its queued deliveries wait until it is active again',
  })
  @Optional()
  @IsBoolean()
  isActive?: boolean;
}

export class WebhookSubscriptionResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'https://erp.example.com/oms/events' })
  url: string;

  @ApiProperty({ type: [String], example: ['confirmed', 'shipped'] })
  events: string[];

  @ApiProperty({ type: String, nullable: true, example: 'ERP order sync' })
  description: string | null;

  @ApiProperty({ description: 'false: paused' })
  isActive: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class ListWebhookSubscriptionsQueryDto extends PageQueryDto {}

export class ListWebhookDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: WebhookDeliveryStatus, enumName: 'WebhookDeliveryStatus' })
  @Optional()
  @IsEnum(WebhookDeliveryStatus)
  status?: WebhookDeliveryStatus;
}

export class WebhookDeliveryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid', description: 'The event (history entry) id, as in X-OMS-Event-Id' })
  eventId: string;

  @ApiProperty({ example: 'shipped' })
  type: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ example: 3, description: 'The event’s place in its order’s chain' })
  sequence: number;

  @ApiProperty({ enum: WebhookDeliveryStatus, enumName: 'WebhookDeliveryStatus' })
  status: WebhookDeliveryStatus;

  @ApiProperty({ example: 1, description: 'Attempts in the current round (a redelivery starts a new round)' })
  attempts: number;

  @ApiProperty({ type: String, nullable: true, example: 'receiver answered HTTP 503' })
  lastError: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 503, description: 'HTTP status of the last answer' })
  responseStatus: number | null;

  @ApiProperty({ format: 'date-time', description: 'Earliest time of the next attempt (while pending)' })
  nextAttemptAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  sentAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
