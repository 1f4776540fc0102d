import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '../../src/common/unit-of-work';
import { ProductVariant } from '../../src/catalog/product-variant.entity';
import { StockLocation } from '../../src/catalog/stock-location.entity';
import { StockLevel } from '../../src/catalog/stock-level.entity';
import { Order } from '../../src/orders/order.entity';
import { OrderItem } from '../../src/orders/order-item.entity';
import { OrderStatus } from '../../src/orders/order-status.enum';
import { User } from '../../src/identity/user.entity';
import { UserRole } from '../../src/identity/user-role.enum';
import { createUser, freshEm, http, sql, TestApp, TestUser } from './app';
import { PlacedOrder, placeOrder } from './orders';

/**
 * Small builders for test data. Catalog and stock (supporting data) go straight through the
 * entities; orders go through the API, so their totals, history and status are the domain's.
 */

export function uniqueCode(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8).toUpperCase()}`;
}

export async function createLocation(app: TestApp, code = uniqueCode('LOC')): Promise<StockLocation> {
  return app.get(UnitOfWork).run('test-location', async (em) => {
    const location = new StockLocation(code, `Location ${code}`);
    em.persist(location);
    return location;
  });
}

/** A variant with `onHand` units at `location` (a new location when none is given). */
export async function createVariantWithStock(
  app: TestApp,
  onHand: number,
  location?: StockLocation,
): Promise<{ variant: ProductVariant; location: StockLocation; stockLevel: StockLevel }> {
  const where = location ?? (await createLocation(app));
  return app.get(UnitOfWork).run('test-variant', async (em) => {
    const sku = uniqueCode('SKU');
    const variant = new ProductVariant(sku, `Variant ${sku}`);
    const stockLevel = new StockLevel(variant, em.getReference(StockLocation, where.id), onHand);
    em.persist([variant, stockLevel]);
    return { variant, location: where, stockLevel };
  });
}

export interface OrderLine {
  variant: ProductVariant;
  quantity: number;
  unitPrice?: string;
}

/** An admin per app that places and moves the factories' orders (they are given no staff user). */
const factoryStaff = new WeakMap<TestApp, Promise<TestUser>>();

/** The admin the factories act as (the performer of their orders' history entries). */
export function staffOf(app: TestApp): Promise<TestUser> {
  let staff = factoryStaff.get(app);
  if (!staff) {
    staff = createUser(app, UserRole.ADMIN, { fullName: 'Test factory' });
    factoryStaff.set(app, staff);
  }
  return staff;
}

/**
 * An order of `customer` placed through the API (POST /orders: its items, total and `created`
 * history entry are the service's), then moved to `status` the way the domain moves it:
 * confirmed by POST /orders/:id/confirm (which reserves every item, so the variants need stock);
 * processing by a one-unit fulfillment of the first item started picking; shipped by one
 * fulfillment per reserved location walked to shipped; delivered by POST /orders/:id/deliver;
 * cancelled by POST /orders/:id/cancel while pending; return requested (every unit) after delivery,
 * returned by receiving every unit back (not restocked); refunded by paying the total, cancelling
 * and refunding it all. Returns the stored entities.
 */
export async function createOrder(
  app: TestApp,
  customer: User,
  lines: OrderLine[],
  status: OrderStatus = OrderStatus.PENDING,
): Promise<{ order: Order; items: OrderItem[] }> {
  const staff = await staffOf(app);
  const placed = await placeOrder(app, staff, customer, lines);
  await moveOrderTo(app, staff, placed, status);
  const em = freshEm(app);
  const order = await em.findOneOrFail(Order, placed.id);
  const stored = await em.find(OrderItem, { order: placed.id });
  const items = placed.items.map((item) => stored.find((s) => s.id === item.id)!);
  return { order, items };
}

async function moveOrderTo(app: TestApp, staff: TestUser, order: PlacedOrder, status: OrderStatus) {
  const api = `/api/v1/orders/${order.id}`;
  const post = (action: string, body: object) =>
    http(app).post(`${api}/${action}`).set(staff.auth).send(body).expect(200);
  const everyUnit = order.items.map((item) => ({ orderItemId: item.id, quantity: item.quantity }));
  switch (status) {
    case OrderStatus.PENDING:
      return;
    case OrderStatus.CANCELLED:
      await post('cancel', { reason: 'test: cancelled' });
      return;
    case OrderStatus.REFUNDED:
      await post('payments', { outcome: 'received', amount: order.totalAmount, reference: 'TEST-PAY' });
      await post('cancel', { reason: 'test: cancelled' });
      await post('refunds', { amount: order.totalAmount, reason: 'test: refunded' });
      return;
    case OrderStatus.CONFIRMED:
    case OrderStatus.PROCESSING:
    case OrderStatus.SHIPPED:
    case OrderStatus.DELIVERED:
    case OrderStatus.RETURN_REQUESTED:
    case OrderStatus.RETURNED:
      break;
  }
  await post('confirm', {});
  if (status === OrderStatus.CONFIRMED) return;
  // Where confirming reserved each item: the parcels ship from there.
  const reserved = await sql<{ order_item_id: string; code: string; quantity: number }>(
    app,
    `select r.order_item_id, l.code, r.quantity_reserved as quantity
       from inventory_reservations r join stock_locations l on l.id = r.stock_location_id
      where r.order_id = ? and r.is_active order by r.reserved_at, r.id`,
    [order.id],
  );
  if (status === OrderStatus.PROCESSING) {
    const [first] = reserved;
    const parcel = await createParcel(app, staff, order.id, first.code, { [first.order_item_id]: 1 });
    await moveParcel(app, staff, parcel, ['picking']);
    return;
  }
  const byLocation = new Map<string, Record<string, number>>();
  for (const row of reserved) {
    const items = byLocation.get(row.code) ?? {};
    items[row.order_item_id] = (items[row.order_item_id] ?? 0) + row.quantity;
    byLocation.set(row.code, items);
  }
  for (const [code, items] of byLocation) {
    const parcel = await createParcel(app, staff, order.id, code, items);
    await moveParcel(app, staff, parcel, ['picking', 'packing', 'ready_to_ship', 'shipped']);
  }
  if (status === OrderStatus.SHIPPED) return;
  await post('deliver', {});
  if (status === OrderStatus.DELIVERED) return;
  await post('return-request', { reason: 'test: return', items: everyUnit });
  if (status === OrderStatus.RETURN_REQUESTED) return;
  await post('returns', { items: everyUnit.map((item) => ({ ...item, restock: false })) });
}

async function createParcel(
  app: TestApp,
  staff: TestUser,
  orderId: string,
  warehouseLocation: string,
  items: Record<string, number>,
): Promise<string> {
  const res = await http(app)
    .post(`/api/v1/orders/${orderId}/fulfillments`)
    .set(staff.auth)
    .send({ warehouseLocation, items })
    .expect(201);
  return res.body.id as string;
}

async function moveParcel(app: TestApp, staff: TestUser, id: string, statuses: string[]) {
  for (const status of statuses) {
    await http(app).post(`/api/v1/fulfillments/${id}/status`).set(staff.auth).send({ status }).expect(200);
  }
}

/** A pending order of `customer` for 1 unit of a new variant with `onHand` units at a new location. */
export async function createOneItemOrder(app: TestApp, customer: User, onHand = 10): Promise<Order> {
  const { variant } = await createVariantWithStock(app, onHand);
  return (await createOrder(app, customer, [{ variant, quantity: 1 }])).order;
}

/**
 * Releases every active reservation of the order through the API (POST /reservations/:id/release):
 * after confirming, this leaves a confirmed order with nothing reserved, for tests that reserve by hand.
 */
export async function releaseReservations(app: TestApp, orderId: string): Promise<void> {
  const staff = await staffOf(app);
  const active = await sql<{ id: string }>(
    app,
    'select id from inventory_reservations where order_id = ? and is_active order by id',
    [orderId],
  );
  for (const { id } of active) {
    await http(app).post(`/api/v1/reservations/${id}/release`).set(staff.auth).send({}).expect(200);
  }
}

/** Sets (creating if needed) the on-hand stock of a variant at a location: PUT /stock-levels. */
export async function setStock(
  app: TestApp,
  variant: { id: string },
  location: { id: string },
  quantityOnHand: number,
): Promise<void> {
  const staff = await staffOf(app);
  await http(app)
    .put(`/api/v1/stock-levels/${variant.id}/${location.id}`)
    .set(staff.auth)
    .send({ quantityOnHand })
    .expect(200);
}

/** Deactivates a stock location: PATCH /stock-locations/:id. */
export async function deactivateLocation(app: TestApp, location: { id: string }): Promise<void> {
  const staff = await staffOf(app);
  await http(app)
    .patch(`/api/v1/stock-locations/${location.id}`)
    .set(staff.auth)
    .send({ isActive: false })
    .expect(200);
}

/** A stock level's counters as stored (read by SQL: what the drift report and the shelves see). */
export interface StockCounters {
  on_hand: number;
  reserved: number;
}

export async function stockCountersOf(
  app: TestApp,
  variant: { id: string },
  location: { id: string },
): Promise<StockCounters> {
  const [row] = await sql<StockCounters>(
    app,
    `select quantity_on_hand as on_hand, quantity_reserved as reserved from stock_levels
      where product_variant_id = ? and stock_location_id = ?`,
    [variant.id, location.id],
  );
  return row;
}

/** Each item's allocation counter next to what its reservations say it must be (by SQL, by item id). */
export async function allocationsOf(
  app: TestApp,
  itemIds: string[],
): Promise<{ id: string; quantity_allocated: number; expected: number }[]> {
  return sql<{ id: string; quantity_allocated: number; expected: number }>(
    app,
    `select i.id, i.quantity_allocated,
            coalesce((select sum(case when r.is_active then r.quantity_reserved else r.quantity_fulfilled end)
                        from inventory_reservations r where r.order_item_id = i.id), 0)::int as expected
       from order_items i where i.id = any(?::uuid[]) order by i.id`,
    [`{${itemIds.join(',')}}`],
  );
}

/** The order's history chain as GET /orders/:id/history/verify reports it (asked as the given admin). */
export async function chainOf(
  app: TestApp,
  admin: TestUser,
  orderId: string,
): Promise<{ valid: boolean; entries: number; firstBrokenEntryId: string | null }> {
  const res = await http(app).get(`/api/v1/orders/${orderId}/history/verify`).set(admin.auth).expect(200);
  return res.body as { valid: boolean; entries: number; firstBrokenEntryId: string | null };
}
