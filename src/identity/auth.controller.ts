import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AppConfig } from '../config/app-config';
import { Actor, CurrentUser, NoTransaction, Public, Roles } from '../common/decorators';
import { ApiProblems, ProblemResponse } from '../common/openapi';
import { LoginThrottle } from '../common/throttling';
import { AuthService, durationToSeconds } from './auth.service';
import { UsersService, toUserResponse } from './users.service';
import { LoginDto, LoginResponse } from './dto/auth.dto';
import { UserResponse } from './dto/user.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  private readonly expiresIn: number;

  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    config: AppConfig,
  ) {
    this.expiresIn = durationToSeconds(config.get('JWT_EXPIRES_IN'));
  }

  @Post('login')
  @Public()
  @NoTransaction()
  @LoginThrottle()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange email and password for a bearer token (public)' })
  @ApiOkResponse({ type: LoginResponse })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password', type: ProblemResponse })
  @ApiProblems(400, 429)
  login(@Body() dto: LoginDto): Promise<LoginResponse> {
    return this.auth.login(dto, this.expiresIn);
  }

  @Get('me')
  @Roles()
  @ApiOperation({ summary: 'The current user (roles: any authenticated user)' })
  @ApiOkResponse({ type: UserResponse })
  async me(@CurrentUser() actor: Actor): Promise<UserResponse> {
    return toUserResponse(await this.users.get(actor.id));
  }
}
