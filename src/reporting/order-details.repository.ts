import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { ShippingAddress } from '../orders/order.entity';
import type { OrderStatus } from '../orders/order-status.enum';
import type { FulfillmentItems } from '../fulfillment/order-fulfillment.entity';
import { FulfillmentStatus } from '../fulfillment/fulfillment-status.enum';
import { SHIPPED_STATUSES } from '../fulfillment/fulfillment-state-machine';

/** The `orders` columns of an order's views. */
export interface OrderDetailOrderRow {
  id: string;
  order_number: string;
  customer_id: string;
  status: OrderStatus;
  currency: string;
  total_amount: string;
  amount_paid: string;
  amount_refunded: string;
  shipping_address: ShippingAddress;
  created_at: Date | string;
  updated_at: Date | string;
}

/** The `order_items` columns of an order's views. */
export interface OrderItemRow {
  id: string;
  product_variant_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price: string;
  quantity_returned: number;
}

/** An `order_items` row with its reservation totals and its units in the order's fulfillments. */
export interface OrderDetailItemRow extends OrderItemRow {
  /** Σ (reserved − fulfilled) over the item's active reservations. */
  quantity_reserved: number;
  /** Σ fulfilled over all the item's reservations. */
  quantity_fulfilled: number;
  /** Units in the order's shipped fulfillments. */
  quantity_shipped: number;
  /** Units in the order's fulfillments that are not cancelled. */
  quantity_committed: number;
  /** The item's active reservations. */
  active_reservations: number;
}

/** The `order_fulfillments` columns of an order's views. */
export interface OrderDetailFulfillmentRow {
  id: string;
  fulfillment_number: string;
  status: FulfillmentStatus;
  warehouse_location: string;
  items: FulfillmentItems;
  assigned_to_id: string | null;
  shipped_at: Date | string | null;
  created_at: Date | string;
}

const ORDER_COLUMNS = `id, order_number, customer_id, status, currency, total_amount, amount_paid,
       amount_refunded, shipping_address, created_at, updated_at`;

const sqlList = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * The statements of an order's views (staff detail, customer detail). They read orders,
 * order_items, inventory_reservations and order_fulfillments together: a reporting read model.
 */
@Injectable()
export class OrderDetailsRepository {
  constructor(private readonly em: EntityManager) {}

  async order(id: string, customerId?: string): Promise<OrderDetailOrderRow | undefined> {
    const [row] = customerId
      ? await this.em.execute<OrderDetailOrderRow[]>(
          `select ${ORDER_COLUMNS} from orders where id = ? and customer_id = ?`,
          [id, customerId],
        )
      : await this.em.execute<OrderDetailOrderRow[]>(`select ${ORDER_COLUMNS} from orders where id = ?`, [
          id,
        ]);
    return row;
  }

  /** The order's items, in the order they were ordered. */
  items(orderId: string): Promise<OrderItemRow[]> {
    return this.em.execute<OrderItemRow[]>(
      `select id, product_variant_id, sku, name, quantity, unit_price, quantity_returned
         from order_items where order_id = ?
        order by created_at asc, id asc`,
      [orderId],
    );
  }

  /**
   * The order's items, each with its reservation totals (held by active ones, fulfilled by all,
   * active count) and its units in the order's shipped and not-cancelled fulfillments. A
   * reservation always belongs to an item of its order, so the per-item totals add up to the order's.
   */
  detailItems(orderId: string): Promise<OrderDetailItemRow[]> {
    return this.em.execute<OrderDetailItemRow[]>(
      `select i.id, i.product_variant_id, i.sku, i.name, i.quantity, i.unit_price, i.quantity_returned,
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
           select sum((f.items ->> i.id::text)::int) filter (where f.status in (${sqlList(SHIPPED_STATUSES)})) as shipped,
                  sum((f.items ->> i.id::text)::int) filter (where f.status <> '${FulfillmentStatus.CANCELLED}') as committed
             from order_fulfillments f
            where f.order_id = i.order_id) s on true
        where i.order_id = ?
        order by i.created_at asc, i.id asc`,
      [orderId],
    );
  }

  /** The order's first `limit` fulfillments, oldest first. */
  fulfillments(orderId: string, limit: number): Promise<OrderDetailFulfillmentRow[]> {
    return this.em.execute<OrderDetailFulfillmentRow[]>(
      `select id, fulfillment_number, status, warehouse_location, items, assigned_to_id, shipped_at, created_at
         from order_fulfillments where order_id = ?
        order by created_at asc, id asc limit ?`,
      [orderId, limit],
    );
  }
}
