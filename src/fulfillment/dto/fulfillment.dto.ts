import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEnum, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalInstant } from '../../common/instant-property';
import { PageQueryDto } from '../../common/pagination';
import { FulfillmentStatus } from '../fulfillment-status.enum';
import { IsQuantityMap, IsWeight, MAX_FULFILLMENT_LINES, MAX_LINE_QUANTITY } from './fulfillment-validators';
import {
  CanonicalIdKeys,
  EnumListFilter,
  IsId,
  MultiLine,
  Nullable,
  Optional,
  SingleLine,
} from '../../common/field-decorators';

const NOT_BLANK = /\S/;
export const FULFILLMENT_NOTES_MAX_LENGTH = 2000;

const ITEMS_EXAMPLE = { '3f1c2b7e-8d7a-4c59-9a43-0b6f5d2e8c11': 2 };

export class CreateFulfillmentDto {
  @ApiProperty({
    example: 'WH-A',
    maxLength: 64,
    description:
      'Code of the active stock location the parcel ships from: its units leave stock there when it ships',
  })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(64)
  @Matches(NOT_BLANK, { message: 'warehouseLocation must not be blank' })
  warehouseLocation: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', format: 'int32', minimum: 1, maximum: MAX_LINE_QUANTITY },
    minProperties: 1,
    maxProperties: MAX_FULFILLMENT_LINES,
    example: ITEMS_EXAMPLE,
    description: 'Order item id → quantity to fulfil; at most what is still unfulfilled of each item',
  })
  @CanonicalIdKeys()
  @IsQuantityMap()
  items: Record<string, number>;

  @ApiPropertyOptional({ format: 'uuid', description: 'An active warehouse or admin user' })
  @Optional()
  @IsId()
  assignedToId?: string;
}

export class AssignFulfillmentDto {
  @ApiProperty({ format: 'uuid', description: 'An active warehouse or admin user' })
  @IsId()
  assignedToId: string;
}

export class ChangeFulfillmentStatusDto {
  @ApiProperty({ enum: FulfillmentStatus, enumName: 'FulfillmentStatus', example: FulfillmentStatus.PICKING })
  @IsEnum(FulfillmentStatus)
  status: FulfillmentStatus;

  @ApiPropertyOptional({
    example: 'Started on aisle 4',
    maxLength: FULFILLMENT_NOTES_MAX_LENGTH,
    description: 'Kept with the history entry of the move',
  })
  @Optional()
  @IsString()
  @MultiLine()
  @MaxLength(FULFILLMENT_NOTES_MAX_LENGTH)
  notes?: string;
}

/** Package details; `null` clears a field. */
export class UpdatePackingDetailsDto {
  @ApiPropertyOptional({ type: String, example: 'M', maxLength: 32, nullable: true })
  @Nullable()
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(32)
  boxSize?: string | null;

  @ApiPropertyOptional({
    oneOf: [
      { type: 'string', example: '1.250', maxLength: 11, pattern: '^\\d{1,7}(\\.\\d{1,3})?$' },
      { type: 'number', example: 1.25 },
    ],
    example: '1.250',
    nullable: true,
    description: 'Kilograms, ≥ 0, at most 3 decimals; answered as a decimal string',
  })
  @Nullable()
  @IsWeight()
  weight?: string | number | null;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 100 },
    example: ['bubble wrap', 'void fill'],
    maxItems: 20,
    nullable: true,
  })
  @Nullable()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @SingleLine({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(100, { each: true })
  packingMaterials?: string[] | null;

  @ApiPropertyOptional({
    type: String,
    example: 'Item 2 was on the top shelf',
    maxLength: FULFILLMENT_NOTES_MAX_LENGTH,
    nullable: true,
  })
  @Nullable()
  @IsString()
  @MultiLine()
  @MaxLength(FULFILLMENT_NOTES_MAX_LENGTH)
  pickingNotes?: string | null;

  @ApiPropertyOptional({
    type: String,
    example: 'Fragile sticker applied',
    maxLength: FULFILLMENT_NOTES_MAX_LENGTH,
    nullable: true,
  })
  @Nullable()
  @IsString()
  @MultiLine()
  @MaxLength(FULFILLMENT_NOTES_MAX_LENGTH)
  packingNotes?: string | null;
}

export class ListFulfillmentsQueryDto extends PageQueryDto {
  @EnumListFilter(FulfillmentStatus, [FulfillmentStatus.PENDING, FulfillmentStatus.PICKING])
  status?: FulfillmentStatus[];

  @ApiPropertyOptional({ example: 'WH-A', maxLength: 64 })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(64)
  warehouseLocation?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  assignedToId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  orderId?: string;

  @OptionalInstant({ description: 'Created at or after this instant (a date alone: from its start, UTC)' })
  from?: string;

  @OptionalInstant({
    description: 'Created at or before this instant; a date alone includes that whole day (UTC)',
  })
  to?: string;
}

/** Sorting is fixed for the queue: open work first (oldest first), then the rest (newest first). */
export class MyFulfillmentsQueryDto extends OmitType(PageQueryDto, ['sort'] as const) {
  @EnumListFilter(FulfillmentStatus, [FulfillmentStatus.PENDING, FulfillmentStatus.PICKING])
  status?: FulfillmentStatus[];
}

export class FulfillmentStatisticsQueryDto {
  @OptionalInstant({ description: 'Created at or after this instant (a date alone: from its start, UTC)' })
  from?: string;

  @OptionalInstant({
    description: 'Created at or before this instant; a date alone includes that whole day (UTC)',
  })
  to?: string;

  @ApiPropertyOptional({ example: 'WH-A', maxLength: 64 })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(64)
  warehouseLocation?: string;
}
