import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min, NotEquals } from 'class-validator';

export const MAX_STOCK_QUANTITY = 1_000_000_000;

export class SetStockLevelDto {
  @ApiProperty({ example: 120, minimum: 0, maximum: MAX_STOCK_QUANTITY })
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK_QUANTITY)
  quantityOnHand: number;
}

export class AdjustStockLevelDto {
  @ApiProperty({
    example: 12,
    minimum: -MAX_STOCK_QUANTITY,
    maximum: MAX_STOCK_QUANTITY,
    description: 'Units added to (positive) or taken from (negative) the on-hand quantity; not 0',
  })
  @IsInt()
  @NotEquals(0)
  @Min(-MAX_STOCK_QUANTITY)
  @Max(MAX_STOCK_QUANTITY)
  delta: number;
}

export class StockLevelResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  productVariantId: string;

  @ApiProperty({ format: 'uuid' })
  stockLocationId: string;

  @ApiProperty({ example: 120 })
  quantityOnHand: number;

  @ApiProperty({ example: 15 })
  quantityReserved: number;

  @ApiProperty({ example: 105, description: 'quantityOnHand − quantityReserved' })
  quantityAvailable: number;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class LocationAvailabilityResponse {
  @ApiProperty({ format: 'uuid' })
  stockLocationId: string;

  @ApiProperty({ example: 'WH-A' })
  code: string;

  @ApiProperty({ example: 120 })
  onHand: number;

  @ApiProperty({ example: 15 })
  reserved: number;

  @ApiProperty({ example: 105 })
  available: number;
}

export class AvailabilityResponse {
  @ApiProperty({ format: 'uuid' })
  variantId: string;

  @ApiProperty({ example: 200, description: 'Over the active locations' })
  onHand: number;

  @ApiProperty({ example: 25 })
  reserved: number;

  @ApiProperty({ example: 175 })
  available: number;

  @ApiProperty({ type: [LocationAvailabilityResponse] })
  locations: LocationAvailabilityResponse[];
}
