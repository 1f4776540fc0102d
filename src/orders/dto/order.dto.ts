import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO31661Alpha2,
  IsISO4217CurrencyCode,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { OptionalInstant } from '../../common/instant-property';
import { PageQueryDto } from '../../common/pagination';
import { IsMoney } from '../money';
import { OrderStatus } from '../order-status.enum';
import { EnumListFilter, IsId, Optional, SingleLine } from '../../common/field-decorators';

export const MAX_ORDER_ITEMS = 100;
export const MAX_ITEM_QUANTITY = 100000;

/**
 * The address, a JSON object (an array, `null` or a scalar is a 400 naming `shippingAddress`):
 * whitelisted and validated field by field.
 */
export class ShippingAddressDto {
  @ApiProperty({ example: 'Jane Doe', maxLength: 200 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: '1 Main Street', maxLength: 200 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(200)
  line1: string;

  @ApiPropertyOptional({ example: 'Flat 2', maxLength: 200 })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(200)
  line2?: string;

  @ApiProperty({ example: 'Berlin', maxLength: 100 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(100)
  city: string;

  @ApiProperty({ example: '10115', maxLength: 20 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(20)
  postalCode: string;

  @ApiPropertyOptional({ example: 'BE', maxLength: 100 })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(100)
  region?: string;

  @ApiProperty({ example: 'DE', description: 'ISO 3166-1 alpha-2', minLength: 2, maxLength: 2 })
  @IsString()
  @SingleLine()
  @Matches(/^[A-Z]{2}$/, { message: 'must be two upper-case letters (ISO 3166-1 alpha-2)' })
  @IsISO31661Alpha2({ message: 'must be an ISO 3166-1 alpha-2 country code' })
  country: string;

  @ApiPropertyOptional({ example: '+49 30 1234567', maxLength: 32 })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(32)
  phone?: string;
}

export class OrderItemInputDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  variantId: string;

  @ApiProperty({ example: 2, minimum: 1, maximum: MAX_ITEM_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_ITEM_QUANTITY)
  quantity: number;

  @ApiProperty({
    oneOf: [{ type: 'string', maxLength: 13 }, { type: 'number' }],
    example: '19.99',
    description: 'Decimal string (or number) with at most 2 decimals, 0 or more',
  })
  @IsMoney()
  unitPrice: string | number;
}

export class CreateOrderDto {
  @ApiProperty({ format: 'uuid', description: 'An active user with role customer' })
  @IsId()
  customerId: string;

  @ApiProperty({
    example: 'EUR',
    description: 'ISO 4217, three upper-case letters',
    minLength: 3,
    maxLength: 3,
  })
  @IsString()
  @SingleLine()
  @Matches(/^[A-Z]{3}$/, { message: 'must be three upper-case letters (ISO 4217)' })
  @IsISO4217CurrencyCode({ message: 'must be an ISO 4217 currency code' })
  currency: string;

  @ApiProperty({ type: [OrderItemInputDto], minItems: 1, maxItems: MAX_ORDER_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => OrderItemInputDto)
  items: OrderItemInputDto[];

  @ApiProperty({ type: ShippingAddressDto })
  @IsObject({ message: 'must be an object with name, line1, city, postalCode and country' })
  @ValidateNested()
  @Type(() => ShippingAddressDto)
  shippingAddress: ShippingAddressDto;
}

export class UpdateOrderDto {
  @ApiPropertyOptional({
    type: [OrderItemInputDto],
    minItems: 1,
    maxItems: MAX_ORDER_ITEMS,
    description: 'The complete new list of items (replaces the current one)',
  })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => OrderItemInputDto)
  items?: OrderItemInputDto[];

  @ApiPropertyOptional({ type: ShippingAddressDto })
  @Optional()
  @IsObject({ message: 'must be an object with name, line1, city, postalCode and country' })
  @ValidateNested()
  @Type(() => ShippingAddressDto)
  shippingAddress?: ShippingAddressDto;
}

export class ListOrdersQueryDto extends PageQueryDto {
  @EnumListFilter(OrderStatus, [OrderStatus.PENDING, OrderStatus.CONFIRMED])
  status?: OrderStatus[];

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  customerId?: string;

  @OptionalInstant({ description: 'Created at or after this instant (a date alone: from its start, UTC)' })
  createdFrom?: string;

  @OptionalInstant({
    description: 'Created at or before this instant; a date alone includes that whole day (UTC)',
  })
  createdTo?: string;

  @ApiPropertyOptional({
    example: 'ORD-2026-0001',
    maxLength: 254,
    description: 'Order number prefix, or the customer’s exact email (case-insensitive)',
  })
  @Optional()
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(254)
  q?: string;

  @ApiPropertyOptional({
    description: 'Sortable: createdAt, totalAmount, orderNumber, status',
    example: '-createdAt',
  })
  declare sort?: string;
}

export class ShippingAddressResponse {
  @ApiProperty({ example: 'Jane Doe' })
  name: string;

  @ApiProperty({ example: '1 Main Street' })
  line1: string;

  @ApiPropertyOptional({ example: 'Flat 2' })
  line2?: string;

  @ApiProperty({ example: 'Berlin' })
  city: string;

  @ApiProperty({ example: '10115' })
  postalCode: string;

  @ApiPropertyOptional({ example: 'BE' })
  region?: string;

  @ApiProperty({ example: 'DE' })
  country: string;

  @ApiPropertyOptional({ example: '+49 30 1234567' })
  phone?: string;
}

export class OrderItemResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  variantId: string;

  @ApiProperty({ example: 'TSHIRT-BLK-M' })
  sku: string;

  @ApiProperty({ example: 'T-shirt, black, M' })
  name: string;

  @ApiProperty({ example: 2 })
  quantity: number;

  @ApiProperty({ example: '19.99' })
  unitPrice: string;

  @ApiProperty({ example: '39.98', description: 'quantity × unitPrice' })
  lineTotal: string;

  @ApiProperty({ example: 0 })
  quantityReturned: number;
}

/**
 * Every field an order view may have, in the order the views show them; each view below picks its
 * own (the same decorators serve all, and the documented field order stays that of this list).
 */
class OrderFields {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ORD-2026-000042' })
  orderNumber: string;

  @ApiProperty({ format: 'uuid' })
  customerId: string;

  @ApiProperty({ example: 'jane.doe@example.com' })
  customerEmail: string;

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

/** An order as staff see it, with its items. */
export class OrderResponse extends OmitType(OrderFields, ['customerEmail'] as const) {}

/** A list row: the order without its items and address, with the customer's email. */
export class OrderSummaryResponse extends OmitType(OrderFields, ['shippingAddress', 'items'] as const) {}
