import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, Page, PageQueryDto, toPage } from '../common/pagination';
import { Order } from './order.entity';
import { OrderItem } from './order-item.entity';
import { OrderStatus } from './order-status.enum';

/**
 * SQL and entity access of the orders module's tables (orders, order_items). Their business columns
 * are written as entities through the flush; the counters kept for the write statements (the
 * history head on orders, quantity_allocated on order_items) only by statements (see
 * docs/data-access.md, "Write style per table").
 *
 * THE ORDER LOCK is the order row's `FOR UPDATE` lock, taken by one of:
 * - OrdersService.lock (the Order entity, for the lifecycle actions that change it),
 * - OrdersRepository.lockStatus (status and number only),
 * - the fragment lockOrdersSql() inside a write statement of another module (the history entry
 *   statement, the reservation statement), which reads the order's history head with the lock.
 * All of them lock the same row, so they serialise with each other; the history chain head lives
 * on that row (history_sequence, history_hash, history_at), which makes "every change to an order
 * and its history entry" one lock. Locks on several orders are taken in id order.
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
 * moveHistoryHeadSql that also sets the status of the orders `statusSql` yields (order_id, status
 * as order_status): a status change and its history entry move the one order row in one UPDATE
 * (two UPDATEs of one row in one statement would silently drop the second). Stamps updated_at with
 * the entry's time and bumps the version, as a flush of the Order entity does. For use as a CTE.
 */
export function moveHistoryHeadAndStatusSql(headsSql: string, statusSql: string): string {
  return `update orders o set history_sequence = h.sequence, history_hash = h.hash, history_at = h.created_at,
                              status = coalesce(s.status, o.status),
                              updated_at = case when s.status is null then o.updated_at else h.created_at end,
                              version = o.version + case when s.status is null then 0 else 1 end
            from (${headsSql}) h left join (${statusSql}) s on s.order_id = h.order_id
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

export interface LockedOrderRow {
  id: string;
  status: OrderStatus;
  order_number: string;
}

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

  /** Queues a new order and its items (or new items of an order) for the unit of work's flush. */
  add(entities: readonly (Order | OrderItem)[]): void {
    this.em.persist([...entities]);
  }

  /** Queues items an edit removed for deletion at the flush. */
  removeItems(items: readonly OrderItem[]): void {
    for (const item of items) this.em.remove(item);
  }

  /** The order, of `customerId` only when given. */
  find(id: string, customerId?: string): Promise<Order | null> {
    return this.em.findOne(Order, customerId ? { id, customer: customerId } : { id });
  }

  /** The order lock (see above) through the entity, refreshed from the locked row. */
  lock(id: string, customerId?: string): Promise<Order | null> {
    return this.em.findOne(Order, customerId ? { id, customer: customerId } : { id }, {
      lockMode: LockMode.PESSIMISTIC_WRITE,
      refresh: true,
    });
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

  /** The order lock (see above), reading only status and number; undefined when there is no such order. */
  async lockStatus(id: string): Promise<LockedOrderRow | undefined> {
    const [row] = await this.em.execute<LockedOrderRow[]>(
      'select id, status, order_number from orders where id = ? for update',
      [id],
    );
    return row;
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
