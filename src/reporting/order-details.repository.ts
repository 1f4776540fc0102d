import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { OrderRow } from '../orders/orders.repository';
import type { FulfillmentItems } from '../fulfillment/order-fulfillment.entity';
import { FulfillmentStatus } from '../fulfillment/fulfillment-status.enum';
import { SHIPPED_STATUSES } from '../fulfillment/fulfillment-state-machine';

/** The `orders` columns of an order's views: the orders module's row, times as JSON may carry them. */
export type OrderDetailOrderRow = Omit<OrderRow, 'version' | 'created_at' | 'updated_at'> & {
  created_at: Date | string;
  updated_at: Date | string;
};

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

const sqlList = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/** An order's columns, with its items and its first fulfillments as JSON arrays. */
export interface OrderViewRow<Item> extends OrderDetailOrderRow {
  items: Item[];
  fulfillments: OrderDetailFulfillmentRow[];
}

const ORDER_COLUMNS = `o.id, o.order_number, o.customer_id, o.status, o.currency, o.total_amount, o.amount_paid,
       o.amount_refunded, o.shipping_address, o.created_at, o.updated_at`;

// Money as text in JSON (numeric would become a JSON number and lose its scale).
const ITEM_COLUMNS = `i.id, i.product_variant_id, i.sku, i.name, i.quantity, i.unit_price::text as unit_price,
       i.quantity_returned`;

/**
 * Each item with its reservation totals (held by active ones, fulfilled by all, active count) and
 * its units in the order's shipped and not-cancelled fulfillments. A reservation always belongs
 * to an item of its order, so the per-item totals add up to the order's.
 */
const DETAIL_ITEMS = `select ${ITEM_COLUMNS},
         coalesce(r.reserved, 0)::int as quantity_reserved,
         coalesce(r.fulfilled, 0)::int as quantity_fulfilled,
         coalesce(s.shipped, 0)::int as quantity_shipped,
         coalesce(s.committed, 0)::int as quantity_committed,
         coalesce(r.active, 0)::int as active_reservations,
         i.created_at
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
   where i.order_id = o.id`;

const PLAIN_ITEMS = `select ${ITEM_COLUMNS}, i.created_at from order_items i where i.order_id = o.id`;

/** ONE statement per view: the order, its items and its first fulfillments (oldest first). */
const viewSql = (items: string, byCustomer: boolean) => `
select ${ORDER_COLUMNS},
       coalesce((select json_agg(x order by x.created_at, x.id) from (${items}) x), '[]') as items,
       coalesce((select json_agg(f order by f.created_at, f.id)
                   from (select id, fulfillment_number, status, warehouse_location, items, assigned_to_id,
                                shipped_at, created_at
                           from order_fulfillments where order_id = o.id
                          order by created_at, id limit ?) f), '[]') as fulfillments
  from orders o
 where o.id = ?${byCustomer ? ' and o.customer_id = ?' : ''}`;

const STAFF_VIEW_SQL = viewSql(DETAIL_ITEMS, false);
const CUSTOMER_VIEW_SQL = viewSql(PLAIN_ITEMS, true);

/**
 * The statements of an order's views (staff detail, customer detail). They read orders,
 * order_items, inventory_reservations and order_fulfillments together: a reporting read model.
 */
@Injectable()
export class OrderDetailsRepository {
  constructor(private readonly em: EntityManager) {}

  /** The staff view's rows, or undefined when there is no such order. */
  async staffView(
    orderId: string,
    fulfillmentsShown: number,
  ): Promise<OrderViewRow<OrderDetailItemRow> | undefined> {
    const [row] = await this.em.execute<OrderViewRow<OrderDetailItemRow>[]>(STAFF_VIEW_SQL, [
      fulfillmentsShown,
      orderId,
    ]);
    return row;
  }

  /** The customer view's rows, only of the customer's own order (else undefined). */
  async customerView(
    orderId: string,
    customerId: string,
    fulfillmentsShown: number,
  ): Promise<OrderViewRow<OrderItemRow> | undefined> {
    const [row] = await this.em.execute<OrderViewRow<OrderItemRow>[]>(CUSTOMER_VIEW_SQL, [
      fulfillmentsShown,
      orderId,
      customerId,
    ]);
    return row;
  }
}
