import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEnum,
  IsInt,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsMoney } from '../../orders/money';
import { MAX_ITEM_QUANTITY, MAX_ORDER_ITEMS } from '../../orders/dto/order.dto';
import { IsId, Optional, SingleLine } from '../../common/field-decorators';

export class PinnedLocationDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  orderItemId: string;

  @ApiProperty({ format: 'uuid', description: 'Reserve this item only at this location' })
  @IsId()
  stockLocationId: string;
}

export class ConfirmOrderDto {
  @ApiPropertyOptional({
    type: [PinnedLocationDto],
    maxItems: MAX_ORDER_ITEMS,
    description:
      'Pin items to a location; the others are placed by the location strategy: one active location that ' +
      'can serve every item, else per item the location with most available, split only when needed',
  })
  @Optional()
  @IsArray()
  @ArrayMaxSize(MAX_ORDER_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => PinnedLocationDto)
  items?: PinnedLocationDto[];
}

export enum PaymentOutcome {
  RECEIVED = 'received',
  FAILED = 'failed',
}

export class RecordPaymentDto {
  @ApiProperty({ enum: PaymentOutcome, enumName: 'PaymentOutcome', example: PaymentOutcome.RECEIVED })
  @IsEnum(PaymentOutcome)
  outcome: PaymentOutcome;

  @ApiProperty({
    oneOf: [{ type: 'string', maxLength: 13 }, { type: 'number' }],
    example: '39.98',
    description: 'Above 0, at most 2 decimals; received payments may not exceed the total',
  })
  @IsMoney({ positive: true })
  amount: string | number;

  @ApiProperty({ example: 'PSP-7F3A-2291', maxLength: 128, description: 'The payment provider’s reference' })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(128)
  reference: string;
}

export class CancelOrderDto {
  @ApiProperty({ example: 'Customer changed their mind', maxLength: 500 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(500)
  reason: string;
}

export class ReturnItemDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  orderItemId: string;

  @ApiProperty({ example: 1, minimum: 1, maximum: MAX_ITEM_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_ITEM_QUANTITY)
  quantity: number;
}

export class ReturnRequestDto {
  @ApiProperty({ example: 'Wrong size', maxLength: 500 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(500)
  reason: string;

  @ApiProperty({ type: [ReturnItemDto], minItems: 1, maxItems: MAX_ORDER_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => ReturnItemDto)
  items: ReturnItemDto[];
}

export class ReceivedItemDto extends ReturnItemDto {
  @ApiProperty({ example: true, description: 'Put the units back on hand' })
  @IsBoolean()
  restock: boolean;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Where to restock all units of the line (default: the locations the units shipped from, in ' +
      'location code order, each taking at most the units that left it and have not come back)',
  })
  @Optional()
  @IsId()
  stockLocationId?: string;
}

export class ReceiveReturnDto {
  @ApiProperty({ type: [ReceivedItemDto], minItems: 1, maxItems: MAX_ORDER_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => ReceivedItemDto)
  items: ReceivedItemDto[];
}

export class RefundDto {
  @ApiProperty({
    oneOf: [{ type: 'string', maxLength: 13 }, { type: 'number' }],
    example: '19.99',
    description: 'Above 0, at most 2 decimals; all refunds together may not exceed what was paid',
  })
  @IsMoney({ positive: true })
  amount: string | number;

  @ApiProperty({ example: 'Returned items', maxLength: 500 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(500)
  reason: string;
}
