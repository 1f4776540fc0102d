import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsISO8601, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_TIMESTAMP_LENGTH } from '../../common/validation';
import { OptionalInstant } from '../../common/instant-property';
import { PageQueryDto } from '../../common/pagination';
import { ReleaseReason } from '../release-reason.enum';
import { IsId, MultiLine, Nullable, Optional } from '../../common/field-decorators';

export const MAX_RESERVATION_QUANTITY = 1_000_000;

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

export class CreateReservationDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  orderId: string;

  @ApiProperty({ format: 'uuid', description: 'An item of that order' })
  @IsId()
  orderItemId: string;

  @ApiProperty({ format: 'uuid', description: 'Must be the variant of the order item' })
  @IsId()
  productVariantId: string;

  @ApiProperty({ format: 'uuid' })
  @IsId()
  stockLocationId: string;

  @ApiProperty({ example: 2, minimum: 1, maximum: MAX_RESERVATION_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_RESERVATION_QUANTITY)
  quantity: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    maxLength: MAX_TIMESTAMP_LENGTH,
    nullable: true,
    example: '2026-12-01T12:00:00.000Z',
    description:
      'In the future. Absent: now + RESERVATION_TTL_MINUTES (never when that is unset); null: never expires',
  })
  @Nullable()
  @IsISO8601({ strict: true })
  @MaxLength(MAX_TIMESTAMP_LENGTH)
  expiresAt?: string | null;

  @ApiPropertyOptional({ example: 'Held for the VIP pre-order', maxLength: 1000 })
  @Optional()
  @IsString()
  @MultiLine()
  @MaxLength(1000)
  notes?: string;
}

export class FulfilReservationDto {
  @ApiProperty({ example: 1, minimum: 1, maximum: MAX_RESERVATION_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_RESERVATION_QUANTITY)
  quantity: number;
}

export class ExtendReservationDto {
  @ApiProperty({
    format: 'date-time',
    maxLength: MAX_TIMESTAMP_LENGTH,
    example: '2026-12-01T12:00:00.000Z',
    description: 'In the future',
  })
  @IsISO8601({ strict: true })
  @MaxLength(MAX_TIMESTAMP_LENGTH)
  expiresAt: string;
}

export class ListReservationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  orderId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  productVariantId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  stockLocationId?: string;

  @ApiPropertyOptional({ type: Boolean })
  @Optional()
  @Transform(toBoolean)
  @IsBoolean()
  isActive?: boolean;

  @OptionalInstant({
    example: '2026-12-01T12:00:00.000Z',
    description:
      'Only reservations with an expiresAt strictly before this instant; a date alone means before that day starts (UTC)',
  })
  expiresBefore?: string;
}

export class OrderReservationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: Boolean })
  @Optional()
  @Transform(toBoolean)
  @IsBoolean()
  isActive?: boolean;
}

export class ReservationResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ format: 'uuid' })
  orderItemId: string;

  @ApiProperty({ format: 'uuid' })
  productVariantId: string;

  @ApiProperty({ format: 'uuid' })
  stockLocationId: string;

  @ApiProperty({ example: 2 })
  quantityReserved: number;

  @ApiProperty({ example: 0 })
  quantityFulfilled: number;

  @ApiProperty({ example: true })
  isActive: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;

  @ApiProperty({ format: 'date-time' })
  reservedAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  releasedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  fulfilledAt: string | null;

  @ApiProperty({ enum: ReleaseReason, enumName: 'ReleaseReason', nullable: true })
  releaseReason: ReleaseReason | null;
}
