import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEnum,
  IsInt,
  IsISO31661Alpha2,
  IsISO4217CurrencyCode,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { OptionalInstant } from '../../common/instant-property';
import { PageQueryDto } from '../../common/pagination';
import { IsMoney } from '../money';
import { OrderStatus } from '../order-status.enum';

export const MAX_ORDER_ITEMS = 100;
export const MAX_ITEM_QUANTITY = 100000;

const NULL_IS_ABSENT = '`null` is the same as leaving it out: the field is not stored and not answered';

/** Optional address fields: `null` means absent, so no read ever answers `null` for a string. */
const nullIsAbsent = ({ value }: { value: unknown }) => (value === null ? undefined : value);

/**
 * The address, a JSON object (an array, `null` or a scalar is a 400 naming `shippingAddress`):
 * whitelisted and validated field by field.
 */
export class ShippingAddressDto {
  @ApiProperty({ example: 'Jane Doe', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: '1 Main Street', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  line1: string;

  @ApiPropertyOptional({ example: 'Flat 2', maxLength: 200, nullable: true, description: NULL_IS_ABSENT })
  @Transform(nullIsAbsent)
  @IsOptional()
  @IsString()
  @MaxLength(200)
  line2?: string;

  @ApiProperty({ example: 'Berlin', maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  city: string;

  @ApiProperty({ example: '10115', maxLength: 20 })
  @IsString()
  @MinLength(1)
  @MaxLength(20)
  postalCode: string;

  @ApiPropertyOptional({ example: 'BE', maxLength: 100, nullable: true, description: NULL_IS_ABSENT })
  @Transform(nullIsAbsent)
  @IsOptional()
  @IsString()
  @MaxLength(100)
  region?: string;

  @ApiProperty({ example: 'DE', description: 'ISO 3166-1 alpha-2', minLength: 2, maxLength: 2 })
  @IsString()
  @Matches(/^[A-Z]{2}$/, { message: 'must be two upper-case letters (ISO 3166-1 alpha-2)' })
  @IsISO31661Alpha2({ message: 'must be an ISO 3166-1 alpha-2 country code' })
  country: string;

  @ApiPropertyOptional({
    example: '+49 30 1234567',
    maxLength: 32,
    nullable: true,
    description: NULL_IS_ABSENT,
  })
  @Transform(nullIsAbsent)
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;
}

export class OrderItemInputDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
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
  @IsUUID()
  customerId: string;

  @ApiProperty({
    example: 'EUR',
    description: 'ISO 4217, three upper-case letters',
    minLength: 3,
    maxLength: 3,
  })
  @IsString()
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
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => OrderItemInputDto)
  items?: OrderItemInputDto[];

  @ApiPropertyOptional({ type: ShippingAddressDto })
  // Left out: the address stays. Given (even as null): it must be a valid address.
  @ValidateIf((dto: UpdateOrderDto) => dto.shippingAddress !== undefined)
  @IsObject({ message: 'must be an object with name, line1, city, postalCode and country' })
  @ValidateNested()
  @Type(() => ShippingAddressDto)
  shippingAddress?: ShippingAddressDto;
}

const toArray = ({ value }: { value: unknown }) =>
  value === undefined ? undefined : Array.isArray(value) ? value : String(value).split(',');

export class ListOrdersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    // No enumName: Nest drops maxItems from a query array of a named enum; the values are inlined.
    enum: OrderStatus,
    isArray: true,
    maxItems: 9,
    description: 'Repeat (`status=a&status=b`) or comma-separate for several',
  })
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @ArrayMaxSize(9)
  @IsEnum(OrderStatus, { each: true })
  status?: OrderStatus[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @OptionalInstant({ description: 'Created at or after' })
  createdFrom?: string;

  @OptionalInstant({ description: 'Created before' })
  createdTo?: string;

  @ApiPropertyOptional({
    example: 'ORD-2026-0001',
    maxLength: 254,
    description: 'Order number prefix, or the customer’s exact email (case-insensitive)',
  })
  @IsOptional()
  @IsString()
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
