import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../common/errors';
import { Order } from '../orders/order.entity';
import { OrdersService } from '../orders/orders.service';
import { ReservationsService } from '../reservations/reservations.service';
import { FulfillmentService } from '../fulfillment/fulfillment.service';
import { FulfillmentQueryService } from '../fulfillment/fulfillment-query.service';
import { SHIPPED_STATUSES } from '../fulfillment/fulfillment-state-machine';
import { FulfillmentStatus } from '../fulfillment/fulfillment-status.enum';
import { OrderFulfillment } from '../fulfillment/order-fulfillment.entity';
import {
  OrderDetailFulfillmentRow,
  OrderDetailItemRow,
  OrderDetailOrderRow,
  OrderItemRow,
  toCustomerOrderDetailResponseFromRows,
  toOrderDetailResponse,
  toOrderDetailResponseFromRows,
} from './order-views';
import { OrderDetailResponse } from './dto/order-detail.dto';
import { CustomerOrderDetailResponse } from './dto/customer-order.dto';

/** An order has at most one fulfillment per item unit; 100 is plenty. */
const FULFILLMENTS_SHOWN = 100;

const ORDER_COLUMNS = `id, order_number, customer_id, status, currency, total_amount, amount_paid,
       amount_refunded, shipping_address, created_at, updated_at`;

const ORDER_SQL = `select ${ORDER_COLUMNS} from orders where id = ?`;

const CUSTOMER_ORDER_SQL = `select ${ORDER_COLUMNS} from orders where id = ? and customer_id = ?`;

const ITEMS_SQL = `select id, product_variant_id, sku, name, quantity, unit_price, quantity_returned
  from order_items where order_id = ?
 order by created_at asc, id asc`;

// Each item with its reservation totals (held by active ones, fulfilled by all, active count), the
// units of it in the order's shipped fulfillments and in those not cancelled (what allowedActions
// needs). A reservation always belongs to an item of its order (booking checks it), so the
// per-item totals add up to the order's.
const DETAIL_ITEMS_SQL = `select i.id, i.product_variant_id, i.sku, i.name, i.quantity, i.unit_price, i.quantity_returned,
       coalesce(r.reserved, 0)::int as quantity_reserved,
       coalesce(r.fulfilled, 0)::int as quantity_fulfilled,
       coalesce(s.shipped, 0)::int as quantity_shipped,
       coalesce(s.committed, 0)::int as quantity_committed,
       coalesce(r.active, 0)::int as active_reservations
  from order_items i
  left join lateral (
    select sum(quantity_reserved - quantity_fulfilled) filter (where is_active) as reserved,
           sum(quantity_fulfilled) as fulfilled,
           count(*) filter (where is_active) as active
      from inventory_reservations where order_item_id = i.id) r on true
  left join lateral (
    select sum((f.items ->> i.id::text)::int)
             filter (where f.status in (${SHIPPED_STATUSES.map((s) => `'${s}'`).join(', ')})) as shipped,
           sum((f.items ->> i.id::text)::int) filter (where f.status <> '${FulfillmentStatus.CANCELLED}') as committed
      from order_fulfillments f
     where f.order_id = i.order_id) s on true
 where i.order_id = ?
 order by i.created_at asc, i.id asc`;

const FULFILLMENTS_SQL = `select id, fulfillment_number, status, warehouse_location, items, assigned_to_id, shipped_at, created_at
  from order_fulfillments where order_id = ?
 order by created_at asc, id asc limit ?`;

/**
 * An order with everything around it, as staff see it (GET /orders/:id and every action's answer),
 * and as its customer sees it (GET /me/orders/:id).
 */
@Injectable()
export class OrderDetailsService {
  constructor(
    private readonly em: EntityManager,
    private readonly orders: OrdersService,
    private readonly reservations: ReservationsService,
    private readonly fulfillment: FulfillmentService,
    private readonly fulfillmentQueries: FulfillmentQueryService,
  ) {}

  /**
   * GET /orders/:id: three lean statements run concurrently (a read has no transaction), rows mapped
   * straight to the response; no entity is hydrated. Answers exactly what `describe` does.
   */
  async get(orderId: string): Promise<OrderDetailResponse> {
    const [[order], items, fulfillments] = await Promise.all([
      this.em.execute<OrderDetailOrderRow[]>(ORDER_SQL, [orderId]),
      this.em.execute<OrderDetailItemRow[]>(DETAIL_ITEMS_SQL, [orderId]),
      this.em.execute<OrderDetailFulfillmentRow[]>(FULFILLMENTS_SQL, [orderId, FULFILLMENTS_SHOWN]),
    ]);
    if (!order) throw new NotFoundError('Order', orderId);
    return toOrderDetailResponseFromRows(order, items, fulfillments);
  }

  /**
   * GET /me/orders/:id: the order only if it is the customer's (else a 404 that reveals nothing),
   * then its items and fulfillments concurrently; rows mapped straight to the customer's view.
   */
  async getForCustomer(orderId: string, customerId: string): Promise<CustomerOrderDetailResponse> {
    const [order] = await this.em.execute<OrderDetailOrderRow[]>(CUSTOMER_ORDER_SQL, [orderId, customerId]);
    if (!order) throw new NotFoundError('Order', orderId);
    const [items, fulfillments] = await Promise.all([
      this.em.execute<OrderItemRow[]>(ITEMS_SQL, [orderId]),
      this.em.execute<OrderDetailFulfillmentRow[]>(FULFILLMENTS_SQL, [orderId, FULFILLMENTS_SHOWN]),
    ]);
    return toCustomerOrderDetailResponseFromRows(order, items, fulfillments);
  }

  /**
   * An action's answer, inside its transaction: from the entities of its unit of work, since the
   * action's own changes (the order, released or fulfilled reservations) are flushed only when
   * these entity reads run; the lean statements of `get` would not see them.
   */
  async describe(order: Order): Promise<OrderDetailResponse> {
    const items = await this.orders.items(order.id);
    const reservations = await this.reservations.listForOrder(order.id);
    const fulfillments = await this.fulfillmentsOf(order.id);
    const shipped = await this.fulfillment.shippedQuantities(order.id);
    const committed = await this.fulfillment.committedQuantities(order.id);
    return toOrderDetailResponse({ order, items, reservations, fulfillments, shipped, committed });
  }

  /** The order's fulfillments, oldest first (up to FULFILLMENTS_SHOWN). */
  fulfillmentsOf(orderId: string): Promise<OrderFulfillment[]> {
    return this.fulfillmentQueries.ofOrder(orderId, FULFILLMENTS_SHOWN);
  }
}
