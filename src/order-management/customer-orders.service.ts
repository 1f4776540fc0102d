import { Injectable } from '@nestjs/common';
import { Page, PageQueryDto } from '../common/pagination';
import { OrdersService } from '../orders/orders.service';
import { NotesService } from '../notes/notes.service';
import { toCustomerNoteResponse } from '../notes/note-response';
import { CustomerNoteResponse } from '../notes/dto/note.dto';
import { HistoryQueryService } from '../history/history-query.service';
import { CustomerTimelineEntry } from '../history/customer-timeline';
import { OrderDetailsService } from './order-details.service';
import { OrderReturnsService } from './order-returns.service';
import { toCustomerOrderResponse } from './order-views';
import { CustomerOrderDetailResponse, CustomerOrderResponse } from './dto/customer-order.dto';
import { ReturnRequestDto } from './dto/order-actions.dto';

/**
 * /me/orders: a customer's own orders. Every read finds the order by id AND customer in the query
 * itself (OrdersService.getForCustomer / lock with a customer, OrderDetailsService.getForCustomer),
 * so another customer's order is a 404 that reveals nothing, and only customer-safe projections are
 * returned.
 */
@Injectable()
export class CustomerOrdersService {
  constructor(
    private readonly orders: OrdersService,
    private readonly notes: NotesService,
    private readonly history: HistoryQueryService,
    private readonly details: OrderDetailsService,
    private readonly returns: OrderReturnsService,
  ) {}

  async list(customerId: string, query: PageQueryDto): Promise<Page<CustomerOrderResponse>> {
    const page = await this.orders.listForCustomer(customerId, query);
    const items = await this.orders.itemsOf(page.data.map((order) => order.id));
    return {
      ...page,
      data: page.data.map((order) => toCustomerOrderResponse(order, items.get(order.id) ?? [])),
    };
  }

  get(orderId: string, customerId: string): Promise<CustomerOrderDetailResponse> {
    return this.details.getForCustomer(orderId, customerId);
  }

  async notesOf(
    orderId: string,
    customerId: string,
    query: PageQueryDto,
  ): Promise<Page<CustomerNoteResponse>> {
    const page = await this.notes.customerVisible(orderId, customerId, query);
    return { ...page, data: page.data.map(toCustomerNoteResponse) };
  }

  async timeline(orderId: string, customerId: string): Promise<CustomerTimelineEntry[]> {
    const order = await this.orders.getForCustomer(orderId, customerId);
    return this.history.customerTimeline(order.id);
  }

  async requestReturn(
    orderId: string,
    customerId: string,
    dto: ReturnRequestDto,
  ): Promise<CustomerOrderDetailResponse> {
    const order = await this.returns.requestReturnAsCustomer(orderId, customerId, dto);
    return this.details.describeForCustomer(order, customerId);
  }
}
