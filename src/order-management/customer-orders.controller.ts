import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentUser, Roles } from '../common/decorators';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Page, PageQueryDto } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { UserRole } from '../identity/user-role.enum';
import { CustomerNoteResponse } from '../notes/dto/note.dto';
import { CustomerTimelineEntryResponse } from '../history/dto/history.dto';
import { CustomerOrdersService } from './customer-orders.service';
import { CustomerOrderDetailResponse, CustomerOrderResponse } from './dto/customer-order.dto';
import { ReturnRequestDto } from './dto/order-actions.dto';
import { MayReadFromReplica } from '../database/read-replicas';

/** A customer's own orders; anything not theirs is a 404. */
@ApiTags('me')
@Controller('me/orders')
@Roles(UserRole.CUSTOMER)
export class CustomerOrdersController {
  constructor(private readonly customerOrders: CustomerOrdersService) {}

  @Get()
  @ApiOperation({
    summary:
      'My orders, newest first; sortable by createdAt, totalAmount, orderNumber, status (roles: customer)',
  })
  @ApiPageResponse(CustomerOrderResponse)
  @ApiProblems(400)
  @MayReadFromReplica()
  list(@CurrentUser() me: Actor, @Query() query: PageQueryDto): Promise<Page<CustomerOrderResponse>> {
    return this.customerOrders.list(me.id, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'My order: items, status and shipments (roles: customer)' })
  @ApiOkResponse({ type: CustomerOrderDetailResponse })
  @ApiProblems(400, 404)
  @MayReadFromReplica()
  get(@CurrentUser() me: Actor, @Param('id', ParseIdPipe) id: string): Promise<CustomerOrderDetailResponse> {
    return this.customerOrders.get(id, me.id);
  }

  @Get(':id/notes')
  @ApiOperation({ summary: 'The public notes of my order, newest first (roles: customer)' })
  @ApiPageResponse(CustomerNoteResponse)
  @ApiProblems(400, 404)
  @MayReadFromReplica()
  notes(
    @CurrentUser() me: Actor,
    @Param('id', ParseIdPipe) id: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<CustomerNoteResponse>> {
    return this.customerOrders.notesOf(id, me.id, query);
  }

  @Get(':id/timeline')
  @ApiOperation({
    summary: 'What happened to my order, oldest first: no internal notes, staff or IPs (roles: customer)',
  })
  @ApiOkResponse({ type: [CustomerTimelineEntryResponse] })
  @ApiProblems(400, 404)
  @MayReadFromReplica()
  timeline(
    @CurrentUser() me: Actor,
    @Param('id', ParseIdPipe) id: string,
  ): Promise<CustomerTimelineEntryResponse[]> {
    return this.customerOrders.timeline(id, me.id);
  }

  @Post(':id/return-request')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Ask to return items of my delivered order (roles: customer)' })
  @ApiOkResponse({ type: CustomerOrderDetailResponse })
  @ApiProblems(400, 404, 409)
  requestReturn(
    @CurrentUser() me: Actor,
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: ReturnRequestDto,
  ): Promise<CustomerOrderDetailResponse> {
    return this.customerOrders.requestReturn(id, me.id, dto);
  }
}
