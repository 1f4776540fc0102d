import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { Optional, SingleLine } from '../../common/field-decorators';

export class CreateVariantDto {
  @ApiProperty({ example: 'TSHIRT-BLK-M', maxLength: 64, description: 'Unique stock keeping unit' })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, {
    message: 'must start with a letter or digit and contain only letters, digits, . _ - /',
  })
  sku: string;

  @ApiProperty({ example: 'T-shirt, black, M', maxLength: 255 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(255)
  name: string;
}

export class ListVariantsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'TSHIRT-BLK-M', maxLength: 64, description: 'Exact SKU' })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(64)
  sku?: string;

  @ApiPropertyOptional({ example: 'shirt', maxLength: 100, description: 'Part of the SKU or name' })
  @Optional()
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(100)
  q?: string;
}

export class VariantResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'TSHIRT-BLK-M' })
  sku: string;

  @ApiProperty({ example: 'T-shirt, black, M' })
  name: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
