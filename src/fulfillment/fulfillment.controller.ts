import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Page, PageQueryDto } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { STAFF_ROLES, UserRole } from '../identity/user-role.enum';
import { FulfillmentService } from './fulfillment.service';
import { FulfillmentQueryService } from './fulfillment-query.service';
import {
  AssignFulfillmentDto,
  ChangeFulfillmentStatusDto,
  CreateFulfillmentDto,
  FulfillmentStatisticsQueryDto,
  ListFulfillmentsQueryDto,
  UpdatePackingDetailsDto,
} from './dto/fulfillment.dto';
import { FulfillmentResponse, FulfillmentStatisticsResponse } from './dto/fulfillment-response.dto';
import { MayReadFromReplica } from '../database/read-replicas';

@ApiTags('fulfillment')
@Controller()
export class FulfillmentController {
  constructor(
    private readonly fulfillments: FulfillmentService,
    private readonly queries: FulfillmentQueryService,
  ) {}

  @Post('orders/:orderId/fulfillments')
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @Idempotent()
  @ApiOperation({
    summary: 'Create a fulfillment for some of the order’s items (roles: admin, warehouse)',
    description:
      'The order must be confirmed or processing. Per item, the quantities over non-cancelled fulfillments ' +
      'may not exceed the quantity ordered (409 names the item and what remains). `warehouseLocation` is the ' +
      'code of the stock location the parcel ships from; an unknown or inactive code → 400. When the parcel ' +
      'ships, its units are taken from the order’s reservations at that location, so on-hand stock drops ' +
      'exactly there; holds at other locations are never taken. If the order holds too few of the units ' +
      'there, shipping is refused with 409 naming, per item, where its units are held: create the parcel ' +
      'at that location instead, or release those reservations and reserve the units at this one ' +
      '(POST /reservations; available stock is checked like any reservation).',
  })
  @ApiCreatedResponse({ type: FulfillmentResponse })
  @ApiProblems(400, 404, 409, 422)
  async create(
    @Param('orderId', ParseIdPipe) orderId: string,
    @Body() dto: CreateFulfillmentDto,
  ): Promise<FulfillmentResponse> {
    return this.fulfillments.create(orderId, dto);
  }

  @Get('orders/:orderId/fulfillments')
  @Roles(...STAFF_ROLES)
  @ApiOperation({ summary: 'The fulfillments of an order (roles: admin, support, warehouse)' })
  @ApiPageResponse(FulfillmentResponse)
  @ApiProblems(400, 404)
  @MayReadFromReplica()
  async byOrder(
    @Param('orderId', ParseIdPipe) orderId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<FulfillmentResponse>> {
    return this.queries.byOrder(orderId, query);
  }

  @Get('fulfillments')
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary:
      'List fulfillments by status, location, assignee, order, creation date (roles: admin, support, warehouse)',
    description: 'Sortable by createdAt, updatedAt, status, fulfillmentNumber, warehouseLocation, shippedAt.',
  })
  @ApiPageResponse(FulfillmentResponse)
  @ApiProblems(400)
  @MayReadFromReplica()
  async list(@Query() query: ListFulfillmentsQueryDto): Promise<Page<FulfillmentResponse>> {
    return this.queries.list(query);
  }

  @Get('fulfillments/statistics')
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary: 'Counts per status and average seconds per stage (roles: admin, support, warehouse)',
    description: 'Over fulfillments created in [from, to) at an optional warehouse location.',
  })
  @ApiOkResponse({ type: FulfillmentStatisticsResponse })
  @ApiProblems(400)
  @MayReadFromReplica()
  statistics(@Query() query: FulfillmentStatisticsQueryDto): Promise<FulfillmentStatisticsResponse> {
    return this.queries.statistics(query);
  }

  @Get('fulfillments/:id')
  @Roles(...STAFF_ROLES)
  @ApiOperation({ summary: 'Read a fulfillment (roles: admin, support, warehouse)' })
  @ApiOkResponse({ type: FulfillmentResponse })
  @ApiProblems(400, 404)
  async get(@Param('id', ParseIdPipe) id: string): Promise<FulfillmentResponse> {
    return this.queries.get(id);
  }

  @Patch('fulfillments/:id')
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @ApiOperation({
    summary: 'Set package details: box size, weight, materials, notes (roles: admin, warehouse)',
    description: 'Only before the fulfillment ships; `null` clears a field.',
  })
  @ApiOkResponse({ type: FulfillmentResponse })
  @ApiProblems(400, 404, 409)
  async updatePackingDetails(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: UpdatePackingDetailsDto,
  ): Promise<FulfillmentResponse> {
    return this.fulfillments.updatePackingDetails(id, dto);
  }

  @Post('fulfillments/:id/assign')
  @HttpCode(200)
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @ApiOperation({ summary: 'Assign to an active warehouse or admin user (roles: admin, warehouse)' })
  @ApiOkResponse({ type: FulfillmentResponse })
  @ApiProblems(400, 404, 409)
  async assign(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: AssignFulfillmentDto,
  ): Promise<FulfillmentResponse> {
    return this.fulfillments.assign(id, dto.assignedToId);
  }

  @Post('fulfillments/:id/status')
  @HttpCode(200)
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @ApiOperation({
    summary: 'Move a fulfillment through the state machine (roles: admin, warehouse)',
    description:
      'pending → picking | cancelled; picking → packing | cancelled; packing → ready_to_ship | picking | cancelled; ' +
      'ready_to_ship → shipped | cancelled; shipped → partially_fulfilled | fulfilled; partially_fulfilled → fulfilled. ' +
      'An illegal move is a 409 INVALID_TRANSITION with `allowed`. Shipping fulfils the order’s reservations ' +
      'at the parcel’s `warehouseLocation` (too few held there → 409 naming where the units are held), ' +
      'also when that location was deactivated after the parcel was created: its goods are on that ' +
      'location’s shelves and ship from there; an inactive location only refuses new parcels and new ' +
      'reservations. ' +
      'Moving back from packing to picking clears pickingCompletedAt, packingStartedAt and ' +
      'packingCompletedAt; the next pass stamps them again.',
  })
  @ApiOkResponse({ type: FulfillmentResponse })
  @ApiProblems(400, 404, 409)
  async changeStatus(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: ChangeFulfillmentStatusDto,
  ): Promise<FulfillmentResponse> {
    return this.fulfillments.changeStatus(id, dto.status, dto.notes);
  }
}
