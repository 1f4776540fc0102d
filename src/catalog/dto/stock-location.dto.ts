import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { Optional, SingleLine } from '../../common/field-decorators';

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

export class CreateStockLocationDto {
  @ApiProperty({ example: 'WH-A', maxLength: 32, description: 'Unique short code' })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(32)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: 'must start with a letter or digit and contain only letters, digits, . _ -',
  })
  code: string;

  @ApiProperty({ example: 'Warehouse A, Berlin', maxLength: 255 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(255)
  name: string;
}

export class UpdateStockLocationDto {
  @ApiPropertyOptional({ example: 'Warehouse A, Berlin', maxLength: 255 })
  @Optional()
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({
    example: false,
    description: 'Inactive locations are left out of availability and take no new reservations',
  })
  @Optional()
  @IsBoolean()
  isActive?: boolean;
}

export class ListStockLocationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: Boolean })
  @Optional()
  @Transform(toBoolean)
  @IsBoolean()
  isActive?: boolean;
}

export class StockLocationResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'WH-A' })
  code: string;

  @ApiProperty({ example: 'Warehouse A, Berlin' })
  name: string;

  @ApiProperty({ example: true })
  isActive: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
