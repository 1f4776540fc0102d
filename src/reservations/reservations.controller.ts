import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Page } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { STAFF_ROLES, UserRole } from '../identity/user-role.enum';
import { ReservationsService, toReservationResponse } from './reservations.service';
import {
  CreateReservationDto,
  ExtendReservationDto,
  ListReservationsQueryDto,
  OrderReservationsQueryDto,
  ReservationResponse,
} from './dto/reservation.dto';
import { MayReadFromReplica } from '../database/read-replicas';

@ApiTags('reservations')
@Controller()
export class ReservationsController {
  constructor(private readonly reservations: ReservationsService) {}

  @Post('reservations')
  @Idempotent()
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @ApiOperation({
    summary:
      'Reserve units of an order item at a stock location; not enough available → 409 INSUFFICIENT_STOCK ' +
      '(roles: admin, warehouse)',
  })
  @ApiCreatedResponse({ type: ReservationResponse })
  @ApiProblems(400, 404, 409)
  async create(@Body() dto: CreateReservationDto): Promise<ReservationResponse> {
    return toReservationResponse(await this.reservations.create(dto));
  }

  @Get('reservations')
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary:
      'List reservations, filtered by order, variant, location, active flag and expiry (roles: admin, support, warehouse)',
  })
  @ApiPageResponse(ReservationResponse)
  @ApiProblems(400)
  @MayReadFromReplica()
  async list(@Query() query: ListReservationsQueryDto): Promise<Page<ReservationResponse>> {
    const page = await this.reservations.list(query);
    return { ...page, data: page.data.map(toReservationResponse) };
  }

  @Get('orders/:orderId/reservations')
  @Roles(...STAFF_ROLES)
  @ApiOperation({ summary: "An order's reservations (roles: admin, support, warehouse)" })
  @ApiPageResponse(ReservationResponse)
  @ApiProblems(400, 404)
  @MayReadFromReplica()
  async listForOrder(
    @Param('orderId', ParseIdPipe) orderId: string,
    @Query() query: OrderReservationsQueryDto,
  ): Promise<Page<ReservationResponse>> {
    const page = await this.reservations.pageForOrder(orderId, query);
    return { ...page, data: page.data.map(toReservationResponse) };
  }

  @Get('reservations/:id')
  @Roles(...STAFF_ROLES)
  @ApiOperation({ summary: 'Read a reservation (roles: admin, support, warehouse)' })
  @ApiOkResponse({ type: ReservationResponse })
  @ApiProblems(400, 404)
  async get(@Param('id', ParseIdPipe) id: string): Promise<ReservationResponse> {
    return toReservationResponse(await this.reservations.get(id));
  }

  @Post('reservations/:id/release')
  @HttpCode(200)
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @ApiOperation({
    summary: 'Release an active reservation; an inactive one → 409 (roles: admin, warehouse)',
  })
  @ApiOkResponse({ type: ReservationResponse })
  @ApiProblems(400, 404, 409)
  async release(@Param('id', ParseIdPipe) id: string): Promise<ReservationResponse> {
    return toReservationResponse(await this.reservations.release(id));
  }

  @Post('reservations/:id/extend')
  @HttpCode(200)
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @ApiOperation({
    summary: 'Move the expiry of an active reservation to a later instant (roles: admin, warehouse)',
  })
  @ApiOkResponse({ type: ReservationResponse })
  @ApiProblems(400, 404, 409)
  async extend(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: ExtendReservationDto,
  ): Promise<ReservationResponse> {
    return toReservationResponse(await this.reservations.extend(id, dto.expiresAt));
  }
}
