import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsEnum, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { UserRole } from '../user-role.enum';
import { Optional, SingleLine } from '../../common/field-decorators';

export const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

export class CreateUserDto {
  @ApiProperty({ example: 'jane.doe@example.com', maxLength: 254 })
  @IsEmail()
  @SingleLine()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'correct-horse-battery-staple', minLength: 12, maxLength: 128 })
  @IsString()
  @SingleLine()
  @MinLength(12)
  @MaxLength(128)
  password: string;

  @ApiProperty({ example: 'Jane Doe', maxLength: 200 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(200)
  fullName: string;

  @ApiProperty({ enum: UserRole, enumName: 'UserRole', example: UserRole.SUPPORT })
  @IsEnum(UserRole)
  role: UserRole;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'Jane Doe', maxLength: 200 })
  @Optional()
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(200)
  fullName?: string;

  @ApiPropertyOptional({ enum: UserRole, enumName: 'UserRole', example: UserRole.WAREHOUSE })
  @Optional()
  @IsEnum(UserRole)
  role?: UserRole;

  @ApiPropertyOptional({ example: false })
  @Optional()
  @IsBoolean()
  isActive?: boolean;

  @ApiPropertyOptional({ example: 'another-horse-battery-staple', minLength: 12, maxLength: 128 })
  @Optional()
  @IsString()
  @SingleLine()
  @MinLength(12)
  @MaxLength(128)
  password?: string;
}

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: UserRole, enumName: 'UserRole' })
  @Optional()
  @IsEnum(UserRole)
  role?: UserRole;

  @ApiPropertyOptional({ type: Boolean })
  @Optional()
  @Transform(toBoolean)
  @IsBoolean()
  isActive?: boolean;
}

export class UserResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'jane.doe@example.com' })
  email: string;

  @ApiProperty({ example: 'Jane Doe' })
  fullName: string;

  @ApiProperty({ enum: UserRole, enumName: 'UserRole' })
  role: UserRole;

  @ApiProperty({ example: true })
  isActive: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
