import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ApiProblems } from '../common/openapi';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { STAFF_ROLES, UserRole } from '../identity/user-role.enum';
import { UpdateOrderDto } from '../orders/dto/order.dto';
import { OrderDetailsService } from './order-details.service';
import { OrderEditingService } from './order-editing.service';
import { OrderConfirmationService } from './order-confirmation.service';
import { OrderPaymentsService } from './order-payments.service';
import { OrderCancellationService } from './order-cancellation.service';
import { OrderDeliveryService } from './order-delivery.service';
import { OrderReturnsService } from './order-returns.service';
import {
  CancelOrderDto,
  ConfirmOrderDto,
  ReceiveReturnDto,
  RecordPaymentDto,
  RefundDto,
  ReturnRequestDto,
} from './dto/order-actions.dto';
import { OrderDetailResponse } from './dto/order-detail.dto';
import { MayReadFromReplica } from '../database/read-replicas';

const { ADMIN, SUPPORT, WAREHOUSE } = UserRole;

/**
 * One order and its lifecycle. Each action locks the order row, checks that its status allows the
 * action (else 409 INVALID_TRANSITION with the allowed actions) and writes its history entry in the
 * same transaction; each answers with the order as GET /orders/:id shows it.
 */
@ApiTags('orders')
@Controller('orders/:id')
export class OrderLifecycleController {
  constructor(
    private readonly details: OrderDetailsService,
    private readonly editing: OrderEditingService,
    private readonly confirmation: OrderConfirmationService,
    private readonly payments: OrderPaymentsService,
    private readonly cancellation: OrderCancellationService,
    private readonly delivery: OrderDeliveryService,
    private readonly returns: OrderReturnsService,
  ) {}

  @Get()
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary:
      'An order with its items (reserved, fulfilled, shipped, returned quantities), reservation summary, fulfillments and allowed actions (roles: admin, support, warehouse)',
  })
  @ApiOkResponse({ type: OrderDetailResponse })
  @ApiProblems(400, 404)
  @MayReadFromReplica()
  get(@Param('id', ParseIdPipe) id: string): Promise<OrderDetailResponse> {
    return this.details.get(id);
  }

  @Patch()
  @Roles(ADMIN, SUPPORT)
  @ApiOperation({
    summary:
      'Edit the items (the complete new list) and/or the shipping address of a pending order; total recomputed, never below what was paid (409 naming both amounts), history `edited` with before/after (roles: admin, support)',
  })
  @ApiOkResponse({ type: OrderDetailResponse })
  @ApiProblems(400, 404, 409)
  edit(@Param('id', ParseIdPipe) id: string, @Body() dto: UpdateOrderDto): Promise<OrderDetailResponse> {
    return this.editing.edit(id, dto);
  }

  @Post('confirm')
  @HttpCode(HttpStatus.OK)
  @Roles(ADMIN, SUPPORT)
  @ApiOperation({
    summary:
      'Confirm a pending order: reserve every item, all or nothing (409 INSUFFICIENT_STOCK lists each short item), at pinned locations or where the location strategy places them (roles: admin, support)',
  })
  @ApiBody({ type: ConfirmOrderDto, required: false })
  @ApiOkResponse({ type: OrderDetailResponse })
  @ApiProblems(400, 404, 409)
  confirm(@Param('id', ParseIdPipe) id: string, @Body() dto: ConfirmOrderDto): Promise<OrderDetailResponse> {
    return this.confirmation.confirm(id, dto);
  }

  @Post('payments')
  @HttpCode(HttpStatus.OK)
  @Roles(ADMIN, SUPPORT)
  @Idempotent()
  @ApiOperation({
    summary:
      'Record a payment outcome: received adds to amountPaid (never above the total), failed is only recorded; once the order is paid in full no payment is taken (409); the status does not change (roles: admin, support)',
  })
  @ApiOkResponse({ type: OrderDetailResponse })
  @ApiProblems(400, 404, 409)
  recordPayment(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: RecordPaymentDto,
  ): Promise<OrderDetailResponse> {
    return this.payments.recordPayment(id, dto);
  }

  @Post('cancel')
  @HttpCode(HttpStatus.OK)
  @Roles(ADMIN, SUPPORT)
  @ApiOperation({
    summary:
      'Cancel an order that has not shipped anything: releases its reservations and cancels its open fulfillments (roles: admin, support)',
  })
  @ApiOkResponse({ type: OrderDetailResponse })
  @ApiProblems(400, 404, 409)
  cancel(@Param('id', ParseIdPipe) id: string, @Body() dto: CancelOrderDto): Promise<OrderDetailResponse> {
    return this.cancellation.cancel(id, dto);
  }

  @Post('deliver')
  @HttpCode(HttpStatus.OK)
  @Roles(ADMIN, SUPPORT, WAREHOUSE)
  @ApiOperation({
    summary: 'Mark a shipped order (every item shipped) delivered (roles: admin, support, warehouse)',
  })
  @ApiOkResponse({ type: OrderDetailResponse })
  @ApiProblems(400, 404, 409)
  deliver(@Param('id', ParseIdPipe) id: string): Promise<OrderDetailResponse> {
    return this.delivery.deliver(id);
  }

  @Post('return-request')
  @HttpCode(HttpStatus.OK)
  @Roles(ADMIN, SUPPORT)
  @ApiOperation({
    summary:
      'Request the return of delivered items (at most what shipped and has not been returned, else 409); also after a partial return, until every shipped unit is back (roles: admin, support)',
  })
  @ApiOkResponse({ type: OrderDetailResponse })
  @ApiProblems(400, 404, 409)
  requestReturn(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: ReturnRequestDto,
  ): Promise<OrderDetailResponse> {
    return this.returns.requestReturn(id, dto);
  }

  @Post('returns')
  @HttpCode(HttpStatus.OK)
  @Roles(ADMIN, WAREHOUSE)
  @Idempotent()
  @ApiOperation({
    summary:
      'Receive returned items (at most what shipped and has not come back, else 409): sets quantityReturned, restocks the units marked restock (at stockLocationId, default where they shipped from). The order becomes returned once every shipped unit is back; after a partial return it is delivered again, so the rest can be returned later and refunds taken (roles: admin, warehouse)',
    description:
      'Each returned unit counts against a location it shipped from (the units that left its on-hand ' +
      'stock for this order), location by location in location code order, never more at a location ' +
      'than shipped from it minus what earlier returns counted there. A line with restock and no ' +
      'stockLocationId goes back on hand at those locations (units shipped from A and B come back to A ' +
      'and B); with stockLocationId, all its units go back there; restock: false puts nothing back. The ' +
      '`returned` history entry records, per item, `shippedFrom` and `restockedAt` (location id, code, ' +
      'quantity), which the next return reads.',
  })
  @ApiOkResponse({ type: OrderDetailResponse })
  @ApiProblems(400, 404, 409)
  receiveReturn(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: ReceiveReturnDto,
  ): Promise<OrderDetailResponse> {
    return this.returns.receiveReturn(id, dto);
  }

  @Post('refunds')
  @HttpCode(HttpStatus.OK)
  @Roles(ADMIN)
  @Idempotent()
  @ApiOperation({
    summary:
      'Refund a delivered, cancelled or returned order, never above what was paid; the order becomes refunded once refunds reach the amount paid, a partial refund keeps its status (roles: admin)',
  })
  @ApiOkResponse({ type: OrderDetailResponse })
  @ApiProblems(400, 404, 409)
  refund(@Param('id', ParseIdPipe) id: string, @Body() dto: RefundDto): Promise<OrderDetailResponse> {
    return this.payments.refund(id, dto);
  }
}
