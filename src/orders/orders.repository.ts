import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, Page, PageQueryDto, toPage } from '../common/pagination';
import { executePrepared } from '../database/prepared-statement';
import { Order, ShippingAddress } from './order.entity';
import { OrderItem } from './order-item.entity';
import { OrderStatus } from './order-status.enum';

/**
 * SQL and entity access of the orders module's tables (orders, order_items).
 *
 * WRITE STYLE (docs/data-access.md, "Write style per table"): `orders` is written only by
 * statements — placement inserts the row (insert), and every later change of its columns (status,
 * amounts, address, with version and updated_at) is applied by the statement that appends the
 * history entry recording it (moveHistoryHeadAndOrderSql, through the history repository); the
 * Order entity is read-only. `order_items` is written as entities through the flush, except
 * quantity_allocated, written only by statements.
 *
 * THE ORDER LOCK is the order row's `FOR UPDATE` lock, taken by one of:
 * - OrdersRepository.lock (the lifecycle actions: a typed row of the order, read with the lock),
 * - the fragment lockOrdersSql() inside a write statement (the history entry statement, the
 *   reservation statement, the fulfillment moves), which reads the order's history head with the lock.
 * Both lock the same row, so they serialise with each other; the history chain head lives on that
 * row (history_sequence, history_hash, history_at), which makes "every change to an order and its
 * history entry" one lock. Locks on several orders are taken in id order.
 */

/** A locked order as the write statements read it (the CTE's columns). */
export const LOCKED_ORDER_COLUMNS = 'id, status, order_number, history_sequence, history_hash, history_at';

/**
 * A SELECT that locks the orders whose ids `idsSql` (a subquery) yields, in id order, and reads
 * their status and history head. In READ COMMITTED, FOR UPDATE returns the newest version of each
 * row after waiting for its lock, so the head read here is current even when the statement's
 * snapshot is older: for use as a CTE of a write statement.
 */
export function lockOrdersSql(idsSql: string): string {
  return `select ${LOCKED_ORDER_COLUMNS} from orders where id in (${idsSql}) order by id for update`;
}

/**
 * An UPDATE that moves the history head of orders locked by lockOrdersSql in the same statement
 * to the rows `headsSql` yields (order_id, sequence, hash, created_at): for use as a CTE.
 */
export function moveHistoryHeadSql(headsSql: string): string {
  return `update orders o set history_sequence = h.sequence, history_hash = h.hash, history_at = h.created_at
            from (${headsSql}) h where o.id = h.order_id returning o.id`;
}

/**
 * The columns of an order change, as the query given to moveHistoryHeadAndOrderSql yields them:
 * order_id, then the new values, null for "unchanged".
 */
export const ORDER_CHANGE_RECORD =
  'order_id uuid, status order_status, total_amount numeric(12,2), amount_paid numeric(12,2), ' +
  'amount_refunded numeric(12,2), shipping_address jsonb';

/** Status changes `statusSql` yields (order_id, status as order_status) as order changes. */
export function orderStatusChangesSql(statusSql: string): string {
  return `select x.order_id, x.status, null::numeric(12,2) as total_amount, null::numeric(12,2) as amount_paid,
                 null::numeric(12,2) as amount_refunded, null::jsonb as shipping_address
            from (${statusSql}) x`;
}

/**
 * THE ONE WAY the business columns of an order are changed: moveHistoryHeadSql that also applies
 * the changes `changesSql` yields (ORDER_CHANGE_RECORD; null keeps a column), so that a change and
 * the history entry recording it move the one order row in one UPDATE (two UPDATEs of one row in
 * one statement would silently drop the second). A changed order gets updated_at = the entry's time
 * and version + 1. For use as a CTE of a statement that locked the orders (lockOrdersSql).
 */
export function moveHistoryHeadAndOrderSql(headsSql: string, changesSql: string): string {
  return `update orders o set history_sequence = h.sequence, history_hash = h.hash, history_at = h.created_at,
                              status = coalesce(c.status, o.status),
                              total_amount = coalesce(c.total_amount, o.total_amount),
                              amount_paid = coalesce(c.amount_paid, o.amount_paid),
                              amount_refunded = coalesce(c.amount_refunded, o.amount_refunded),
                              shipping_address = coalesce(c.shipping_address, o.shipping_address),
                              updated_at = case when c.order_id is null then o.updated_at else h.created_at end,
                              version = o.version + case when c.order_id is null then 0 else 1 end
            from (${headsSql}) h left join (${changesSql}) c on c.order_id = h.order_id
           where o.id = h.order_id returning o.id, o.status`;
}

/**
 * Locks the order items whose ids `idsSql` yields (in id order) and reads what reserving needs:
 * the item's order, variant, sku, ordered quantity and quantity_allocated (see OrderItem). For use
 * as a CTE of the reservation statement (src/reservations/reservations.repository.ts).
 */
export function lockOrderItemsSql(idsSql: string): string {
  return `select id, order_id, product_variant_id, sku, quantity, quantity_allocated
            from order_items where id in (${idsSql}) order by id for update`;
}

/** An UPDATE adding `allocatedSql`'s (order_item_id, quantity) rows to quantity_allocated: a CTE. */
export function allocateOrderItemsSql(allocatedSql: string): string {
  return `update order_items i set quantity_allocated = i.quantity_allocated + a.quantity
            from (${allocatedSql}) a where i.id = a.order_item_id returning i.id`;
}

/** An order row as the lifecycle actions read it with the order lock. */
export interface OrderRow {
  id: string;
  order_number: string;
  customer_id: string;
  status: OrderStatus;
  currency: string;
  total_amount: string;
  amount_paid: string;
  amount_refunded: string;
  shipping_address: ShippingAddress;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A new order's row (amounts as decimal strings; status pending, nothing paid). */
export interface NewOrderRow {
  id: string;
  orderNumber: string;
  customerId: string;
  currency: string;
  totalAmount: string;
  shippingAddress: ShippingAddress;
  createdAt: Date;
}

const ORDER_ROW_COLUMNS =
  'id, order_number, customer_id, status, currency, total_amount::text as total_amount, ' +
  'amount_paid::text as amount_paid, amount_refunded::text as amount_refunded, shipping_address, version, ' +
  'created_at, updated_at';

export interface OrderItemLineRow {
  id: string;
  product_variant_id: string;
  quantity: number;
  sku: string;
}

type OrderBy = Record<string, 'asc' | 'desc'>[];
type PageQuery = Pick<PageQueryDto, 'page' | 'pageSize'>;

/** Filters of the staff order search (OrdersRepository.search). */
export interface OrderSearch {
  statuses?: readonly OrderStatus[];
  customerId?: string;
  createdFrom?: Date;
  /** An inclusive end condition on created_at (src/common/instant.ts). */
  createdTo?: { $lt: Date } | { $lte: Date };
  /** An order-number prefix (already upper-cased and LIKE-escaped) or a customer's email. */
  text?: { numberPrefix: string; email: string };
}

@Injectable()
export class OrdersRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts a new order (pending, nothing paid or refunded, version 1): the only INSERT of orders.
   * Its items follow as entities (add), its `created` entry through the history statement.
   */
  async insert(order: NewOrderRow): Promise<void> {
    await executePrepared(
      this.em,
      'oms_order_insert',
      `insert into orders (id, order_number, customer_id, status, currency, total_amount, amount_paid,
                           amount_refunded, shipping_address, version, created_at, updated_at)
       values (?, ?, ?, 'pending', ?, ?, 0, 0, ?::jsonb, 1, ?, ?)`,
      [
        order.id,
        order.orderNumber,
        order.customerId,
        order.currency,
        order.totalAmount,
        JSON.stringify(order.shippingAddress),
        order.createdAt,
        order.createdAt,
      ],
    );
  }

  /** The order as an entity reference (no query), for the order of a new item or note. */
  reference(id: string): Order {
    return this.em.getReference(Order, id);
  }

  /** Queues new or changed items of an order for the unit of work's flush. */
  add(items: readonly OrderItem[]): void {
    this.em.persist([...items]);
  }

  /** Queues items an edit removed for deletion at the flush. */
  removeItems(items: readonly OrderItem[]): void {
    for (const item of items) this.em.remove(item);
  }

  /** The order, of `customerId` only when given. */
  find(id: string, customerId?: string): Promise<Order | null> {
    return this.em.findOne(Order, customerId ? { id, customer: customerId } : { id });
  }

  /**
   * The order lock (see above): the order's row, read with the lock; of `customerId` only when
   * given; undefined when there is no such order.
   */
  async lock(id: string, customerId?: string): Promise<OrderRow | undefined> {
    const [row] = await this.em.execute<OrderRow[]>(
      `select ${ORDER_ROW_COLUMNS} from orders where id = ?${customerId ? ' and customer_id = ?' : ''} for update`,
      customerId ? [id, customerId] : [id],
    );
    return row;
  }

  /** Items of the orders, by created_at then id. */
  itemsOf(orderIds: readonly string[]): Promise<OrderItem[]> {
    return this.em.find(
      OrderItem,
      { order: { $in: [...orderIds] } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  /** Staff search, with each order's customer (id and email). */
  async search(filter: OrderSearch, orderBy: OrderBy, query: PageQuery): Promise<Page<Order>> {
    const qb = this.em
      .createQueryBuilder(Order, 'o')
      .leftJoinAndSelect('o.customer', 'c', {}, ['id', 'email'])
      .orderBy([...orderBy, { id: 'asc' }])
      .limit(query.pageSize)
      .offset(offsetOf(query));
    if (filter.statuses?.length) qb.andWhere({ status: { $in: [...filter.statuses] } });
    if (filter.customerId) qb.andWhere({ customer: filter.customerId });
    if (filter.createdFrom) qb.andWhere({ createdAt: { $gte: filter.createdFrom } });
    if (filter.createdTo) qb.andWhere({ createdAt: filter.createdTo });
    if (filter.text) {
      // The pattern index serves the prefix, the lower(email) index the email.
      qb.andWhere(
        '(o.order_number like ? or o.customer_id = (select u.id from users u where lower(u.email) = lower(?)))',
        [`${filter.text.numberPrefix}%`, filter.text.email],
      );
    }
    const [orders, total] = await qb.getResultAndCount();
    return toPage(orders, total, query);
  }

  async pageOfCustomer(customerId: string, orderBy: OrderBy, query: PageQuery): Promise<Page<Order>> {
    const [orders, total] = await this.em.findAndCount(
      Order,
      { customer: customerId },
      { orderBy: [...orderBy, { id: 'asc' }], limit: query.pageSize, offset: offsetOf(query) },
    );
    return toPage(orders, total, query);
  }

  async nextOrderNumber(): Promise<string> {
    const [row] = await this.em.execute<{ n: string }[]>(`select nextval('order_number_seq')::text as n`);
    return row.n;
  }

  /** The given items of the order (ids already canonical uuids). */
  itemLines(orderId: string, ids: readonly string[]): Promise<OrderItemLineRow[]> {
    return this.em.execute<OrderItemLineRow[]>(
      `select id, product_variant_id, quantity, sku from order_items
        where order_id = ? and id in (${ids.map(() => '?').join(', ')})`,
      [orderId, ...ids],
    );
  }

  /**
   * Gives back units of items that active reservations no longer hold (release, expiry, cancel):
   * the other half of allocateOrderItemsSql. One statement for any number of items.
   */
  async releaseAllocations(parts: readonly { orderItemId: string; quantity: number }[]): Promise<void> {
    const totals = new Map<string, number>();
    for (const part of parts)
      totals.set(part.orderItemId, (totals.get(part.orderItemId) ?? 0) + part.quantity);
    const rows = [...totals].filter(([, quantity]) => quantity > 0);
    if (rows.length === 0) return;
    // Rows locked in id order first, as the reservation statement locks them.
    await this.em.execute(
      `with r as (select * from jsonb_to_recordset(?::jsonb) as r(order_item_id uuid, quantity int)),
            locked as (select id from order_items where id in (select order_item_id from r) order by id for update)
       update order_items i set quantity_allocated = i.quantity_allocated - r.quantity
         from r join locked l on l.id = r.order_item_id
        where i.id = r.order_item_id`,
      [JSON.stringify(rows.map(([orderItemId, quantity]) => ({ order_item_id: orderItemId, quantity })))],
    );
  }
}
