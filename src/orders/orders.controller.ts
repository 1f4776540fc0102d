import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { Page } from '../common/pagination';
import { STAFF_ROLES, UserRole } from '../identity/user-role.enum';
import { OrdersService } from './orders.service';
import { OrderPlacementService } from './order-placement.service';
import { toOrderResponse, toOrderSummaryResponse } from './order-response';
import { CreateOrderDto, ListOrdersQueryDto, OrderResponse, OrderSummaryResponse } from './dto/order.dto';
import { MayReadFromReplica } from '../database/read-replicas';

/** Placing and finding orders. Reading one order and its lifecycle live in order-management. */
@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly placement: OrderPlacementService,
  ) {}

  @Post()
  @Roles(UserRole.ADMIN, UserRole.SUPPORT)
  @Idempotent()
  @ApiOperation({
    summary:
      'Place an order for a customer: status pending, total computed from the items, history `created` (roles: admin, support)',
  })
  @ApiCreatedResponse({ type: OrderResponse })
  @ApiProblems(400, 422)
  async create(@Body() dto: CreateOrderDto): Promise<OrderResponse> {
    const { order, items } = await this.placement.create(dto);
    return toOrderResponse(order, items);
  }

  @Get()
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary:
      'List orders, filtered by status (repeatable), customer, creation time, or `q` (order-number prefix or exact customer email) (roles: admin, support, warehouse)',
  })
  @ApiPageResponse(OrderSummaryResponse)
  @ApiProblems(400)
  @MayReadFromReplica()
  async list(@Query() query: ListOrdersQueryDto): Promise<Page<OrderSummaryResponse>> {
    const page = await this.orders.list(query);
    return { ...page, data: page.data.map(toOrderSummaryResponse) };
  }
}
