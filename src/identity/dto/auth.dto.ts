import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { UserRole } from '../user-role.enum';
import { SingleLine } from '../../common/field-decorators';

export class LoginDto {
  @ApiProperty({ example: 'admin@oms.local', maxLength: 254 })
  @IsEmail()
  @SingleLine()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'admin-password-123', minLength: 1, maxLength: 128 })
  @IsString()
  @SingleLine()
  @MinLength(1)
  @MaxLength(128)
  password: string;
}

export class LoginUserResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'admin@oms.local' })
  email: string;

  @ApiProperty({ example: 'OMS Admin' })
  fullName: string;

  @ApiProperty({ enum: UserRole, enumName: 'UserRole' })
  role: UserRole;
}

export class LoginResponse {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' })
  accessToken: string;

  @ApiProperty({ example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ example: 3600, description: 'Seconds until the token expires' })
  expiresIn: number;

  @ApiProperty({ type: LoginUserResponse })
  user: LoginUserResponse;
}
