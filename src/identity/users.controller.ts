import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { Page } from '../common/pagination';
import { UserRole } from './user-role.enum';
import { UsersService, toUserResponse } from './users.service';
import { CreateUserDto, ListUsersQueryDto, UpdateUserDto, UserResponse } from './dto/user.dto';

@ApiTags('users')
@Controller('users')
@Roles(UserRole.ADMIN)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: 'Create a user (roles: admin)' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiProblems(400, 409, 422)
  async create(@Body() dto: CreateUserDto): Promise<UserResponse> {
    return toUserResponse(await this.users.create(dto));
  }

  @Get()
  @ApiOperation({ summary: 'List users, filtered by role and active flag (roles: admin)' })
  @ApiPageResponse(UserResponse)
  @ApiProblems(400)
  async list(@Query() query: ListUsersQueryDto): Promise<Page<UserResponse>> {
    const page = await this.users.list(query);
    return { ...page, data: page.data.map(toUserResponse) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a user (roles: admin)' })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(400, 404)
  async get(@Param('id', ParseIdPipe) id: string): Promise<UserResponse> {
    return toUserResponse(await this.users.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a user’s name, role, active flag or password (roles: admin)' })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(400, 404, 409)
  async update(@Param('id', ParseIdPipe) id: string, @Body() dto: UpdateUserDto): Promise<UserResponse> {
    return toUserResponse(await this.users.update(id, dto));
  }
}
