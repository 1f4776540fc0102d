import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createLocation, createOrder, createVariantWithStock } from './utils/factories';
import { UnitOfWork } from '../src/common/unit-of-work';
import { UserRole } from '../src/identity/user-role.enum';
import { OrderStatus } from '../src/orders/order-status.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';
import { OrderItem } from '../src/orders/order-item.entity';
import { FulfillmentService } from '../src/fulfillment/fulfillment.service';
import { FulfillmentStatus } from '../src/fulfillment/fulfillment-status.enum';
import { FULFILLMENT_TRANSITIONS } from '../src/fulfillment/fulfillment-state-machine';

const API = '/api/v1';
const S = FulfillmentStatus;
const ALL = Object.values(FulfillmentStatus);

/** The timestamp column each target status stamps (re-picks keep the first picking_started_at). */
const STAMP: Partial<Record<FulfillmentStatus, string>> = {
  [S.PICKING]: 'pickingStartedAt',
  [S.PACKING]: 'pickingCompletedAt',
  [S.READY_TO_SHIP]: 'packingCompletedAt',
  [S.SHIPPED]: 'shippedAt',
  [S.FULFILLED]: 'fulfilledAt',
  [S.CANCELLED]: 'cancelledAt',
};

/** The history action each legal move writes (the order is already processing). */
const ACTION: Partial<Record<FulfillmentStatus, string>> = {
  [S.READY_TO_SHIP]: 'packed',
  [S.SHIPPED]: 'shipped',
};

const LEGAL = ALL.flatMap((from) => FULFILLMENT_TRANSITIONS[from].map((to) => [from, to] as const));
const ILLEGAL = ALL.flatMap((from) =>
  ALL.filter((to) => !FULFILLMENT_TRANSITIONS[from].includes(to)).map((to) => [from, to] as const),
);

interface HistoryRow {
  action: string;
  old_status: string | null;
  new_status: string | null;
  additional_data: Record<string, unknown> | null;
}

describe('fulfillment: the state machine, shipping and concurrency', () => {
  let app: TestApp;
  let warehouse: TestUser;
  let support: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    [warehouse, support, customer] = await Promise.all([
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.CUSTOMER),
    ]);
  });
  afterAll(async () => {
    await app.close();
  });

  interface Line {
    item: OrderItem;
    variant: ProductVariant;
    location: StockLocation;
    stockLevelId: string;
  }

  /** Order id → the code of the location its stock is at (where its parcels ship from). */
  const shipsFrom = new Map<string, string>();

  /**
   * A confirmed order with one item per quantity, each on its own variant with `onHand` units, all at
   * one new location: confirming reserves every item in full there, where its parcels ship from.
   */
  async function orderWith(quantities: number[], onHand = 100) {
    const location = await createLocation(app);
    const stocks = await Promise.all(quantities.map(() => createVariantWithStock(app, onHand, location)));
    const { order, items } = await createOrder(
      app,
      customer.user,
      stocks.map((s, i) => ({ variant: s.variant, quantity: quantities[i] })),
      OrderStatus.CONFIRMED,
    );
    shipsFrom.set(order.id, location.code);
    const lines: Line[] = items.map((item, i) => ({
      item,
      variant: stocks[i].variant,
      location: stocks[i].location,
      stockLevelId: stocks[i].stockLevel.id,
    }));
    return { order, lines };
  }

  async function createFulfillment(orderId: string, items: Record<string, number>) {
    const res = await http(app)
      .post(`${API}/orders/${orderId}/fulfillments`)
      .set(warehouse.auth)
      .send({ warehouseLocation: shipsFrom.get(orderId), items });
    expect(res.status).toBe(201);
    return res.body as { id: string; fulfillmentNumber: string };
  }

  function move(id: string, status: FulfillmentStatus | string, who: TestUser = warehouse, notes?: string) {
    return http(app)
      .post(`${API}/fulfillments/${id}/status`)
      .set(who.auth)
      .send(notes === undefined ? { status } : { status, notes });
  }

  /** The moves that bring a new (pending) fulfillment into each status. */
  const PATH: Record<FulfillmentStatus, FulfillmentStatus[]> = {
    [S.PENDING]: [],
    [S.PICKING]: [S.PICKING],
    [S.PACKING]: [S.PICKING, S.PACKING],
    [S.READY_TO_SHIP]: [S.PICKING, S.PACKING, S.READY_TO_SHIP],
    [S.SHIPPED]: [S.PICKING, S.PACKING, S.READY_TO_SHIP, S.SHIPPED],
    [S.PARTIALLY_FULFILLED]: [S.PICKING, S.PACKING, S.READY_TO_SHIP, S.SHIPPED, S.PARTIALLY_FULFILLED],
    [S.FULFILLED]: [S.PICKING, S.PACKING, S.READY_TO_SHIP, S.SHIPPED, S.FULFILLED],
    [S.CANCELLED]: [S.CANCELLED],
  };

  /** Test setup: moves a new fulfillment into `status` through the API, move by move. */
  async function walk(id: string, status: FulfillmentStatus) {
    for (const step of PATH[status]) {
      const res = await move(id, step);
      expect(res.status).toBe(200);
    }
  }

  async function versionOf(id: string) {
    const [row] = await sql<{ version: number }>(app, 'select version from order_fulfillments where id = ?', [
      id,
    ]);
    return row.version;
  }

  function history(orderId: string) {
    return sql<HistoryRow>(
      app,
      'select action, old_status, new_status, additional_data from order_history where order_id = ? order by sequence',
      [orderId],
    );
  }

  async function level(stockLevelId: string) {
    const [row] = await sql<{ quantity_on_hand: number; quantity_reserved: number }>(
      app,
      'select quantity_on_hand, quantity_reserved from stock_levels where id = ?',
      [stockLevelId],
    );
    return { onHand: row.quantity_on_hand, reserved: row.quantity_reserved };
  }

  describe('every move of the table', () => {
    let shared: Awaited<ReturnType<typeof orderWith>>;
    beforeAll(async () => {
      // One item with enough units for a one-unit fulfillment per case, all reserved by confirming.
      shared = await orderWith([LEGAL.length + ILLEGAL.length + 6], 500);
      // A first parcel starts picking, so the order is processing and no case below moves it.
      await walk((await createFulfillment(shared.order.id, { [shared.lines[0].item.id]: 1 })).id, S.PICKING);
    });

    async function fulfillmentIn(status: FulfillmentStatus) {
      const made = await createFulfillment(shared.order.id, { [shared.lines[0].item.id]: 1 });
      if (status !== S.PENDING) await walk(made.id, status);
      return made;
    }

    it.each(LEGAL)('%s → %s is allowed, stamps its time and writes one history entry', async (from, to) => {
      const made = await fulfillmentIn(from);
      const before = (await history(shared.order.id)).length;
      const res = await move(made.id, to, warehouse, `moving to ${to}`);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(to);
      expect(res.body.allowedTransitions).toEqual(FULFILLMENT_TRANSITIONS[to]);
      if (STAMP[to]) expect(res.body[STAMP[to]!]).toEqual(expect.any(String));
      if (to === S.PACKING) expect(res.body.packingStartedAt).toEqual(expect.any(String));
      const entries = await history(shared.order.id);
      const added = entries.slice(before).filter((e) => e.additional_data?.fulfillmentId === made.id);
      expect(added).toHaveLength(1);
      expect(added[0].action).toBe(ACTION[to] ?? 'status_changed');
      expect(added[0].additional_data).toMatchObject({
        fulfillmentId: made.id,
        fulfillmentNumber: made.fulfillmentNumber,
        from,
        to,
        notes: `moving to ${to}`,
      });
    });

    it.each(ILLEGAL)(
      '%s → %s is refused with 409 INVALID_TRANSITION and the allowed states',
      async (from, to) => {
        const made = await fulfillmentIn(from);
        const before = (await history(shared.order.id)).length;
        const version = await versionOf(made.id);
        const res = await move(made.id, to);
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({
          code: 'INVALID_TRANSITION',
          from,
          to,
          allowed: [...FULFILLMENT_TRANSITIONS[from]],
        });
        const [row] = await sql<{ status: string; version: number }>(
          app,
          'select status, version from order_fulfillments where id = ?',
          [made.id],
        );
        expect(row).toEqual({ status: from, version });
        expect(await history(shared.order.id)).toHaveLength(before);
      },
    );
  });

  it('walks a fulfillment through every stage: stamps, re-pick, order processing, history', async () => {
    const { order, lines } = await orderWith([2]);
    const made = await createFulfillment(order.id, { [lines[0].item.id]: 2 });

    const picking = await move(made.id, S.PICKING);
    expect(picking.status).toBe(200);
    const [{ status: orderStatus }] = await sql<{ status: string }>(
      app,
      'select status from orders where id = ?',
      [order.id],
    );
    expect(orderStatus).toBe('processing');
    const firstPickAt = picking.body.pickingStartedAt;

    const packing = (await move(made.id, S.PACKING)).body;
    expect(packing.pickingCompletedAt).toEqual(expect.any(String));
    expect(packing.packingStartedAt).toEqual(expect.any(String));
    // Back to picking: the end of picking and the packing stage are being redone, so their stamps
    // are cleared (the answer and a later read agree), and the next packing stamps them again.
    const repick = (await move(made.id, S.PICKING, warehouse, 'wrong size')).body;
    expect(repick).toMatchObject({
      status: 'picking',
      pickingStartedAt: firstPickAt,
      pickingCompletedAt: null,
      packingStartedAt: null,
      packingCompletedAt: null,
    });
    const reread = await http(app).get(`${API}/fulfillments/${made.id}`).set(warehouse.auth).expect(200);
    expect(reread.body).toMatchObject({ pickingCompletedAt: null, packingStartedAt: null });
    const repacked = (await move(made.id, S.PACKING)).body;
    expect(repacked.pickingStartedAt).toBe(firstPickAt);
    expect(repacked.pickingCompletedAt).toEqual(expect.any(String));
    expect(repacked.packingStartedAt).toBe(repacked.pickingCompletedAt);
    expect(Date.parse(repacked.packingStartedAt)).toBeGreaterThanOrEqual(
      Date.parse(packing.packingStartedAt),
    );
    const ready = (await move(made.id, S.READY_TO_SHIP)).body;
    expect(ready.packingCompletedAt).toEqual(expect.any(String));
    const shipped = (await move(made.id, S.SHIPPED)).body;
    expect(shipped.shippedAt).toEqual(expect.any(String));
    const fulfilled = (await move(made.id, S.FULFILLED)).body;
    expect(fulfilled).toMatchObject({
      status: 'fulfilled',
      fulfilledAt: expect.any(String),
      allowedTransitions: [],
    });
    expect(fulfilled.version).toBe(8);
    for (const [a, b] of [
      ['pickingStartedAt', 'pickingCompletedAt'],
      ['pickingCompletedAt', 'packingStartedAt'],
      ['packingStartedAt', 'packingCompletedAt'],
      ['packingCompletedAt', 'shippedAt'],
      ['shippedAt', 'fulfilledAt'],
    ]) {
      expect(Date.parse(fulfilled[a])).toBeLessThanOrEqual(Date.parse(fulfilled[b]));
    }

    const entries = await history(order.id);
    expect(entries.map((e) => e.action)).toEqual([
      'created',
      'inventory_reserved',
      'confirmed',
      'status_changed', // created
      'processing_started',
      'status_changed', // picking → packing
      'status_changed', // packing → picking
      'status_changed', // picking → packing
      'packed',
      'inventory_released', // the reservation fulfilled
      'shipped',
      'status_changed', // shipped → fulfilled
    ]);
    const started = entries.find((e) => e.action === 'processing_started')!;
    expect(started).toMatchObject({
      old_status: 'confirmed',
      new_status: 'processing',
      additional_data: { fulfillmentId: made.id, from: 'pending', to: 'picking' },
    });
    const shippedEntry = entries.find((e) => e.action === 'shipped')!;
    expect(shippedEntry).toMatchObject({
      old_status: 'processing',
      new_status: 'shipped',
      additional_data: { fulfillmentId: made.id, from: 'ready_to_ship', to: 'shipped', orderComplete: true },
    });
    const repickEntry = entries.filter((e) => e.action === 'status_changed')[2];
    expect(repickEntry.additional_data).toMatchObject({
      from: 'packing',
      to: 'picking',
      notes: 'wrong size',
    });
  });

  it('ships: on hand and reserved go down, the reservation is fulfilled; the order is processing, then shipped', async () => {
    const { order, lines } = await orderWith([3, 2], 10);
    expect(await level(lines[0].stockLevelId)).toEqual({ onHand: 10, reserved: 3 });
    const first = await createFulfillment(order.id, { [lines[0].item.id]: 2 });
    const second = await createFulfillment(order.id, { [lines[0].item.id]: 1, [lines[1].item.id]: 2 });
    for (const f of [first, second]) await walk(f.id, S.READY_TO_SHIP);

    expect((await move(first.id, S.SHIPPED)).status).toBe(200);
    expect(await level(lines[0].stockLevelId)).toEqual({ onHand: 8, reserved: 1 });
    expect(await level(lines[1].stockLevelId)).toEqual({ onHand: 10, reserved: 2 });
    const [partial] = await sql<{
      quantity_reserved: number;
      quantity_fulfilled: number;
      is_active: boolean;
    }>(
      app,
      'select quantity_reserved, quantity_fulfilled, is_active from inventory_reservations where order_item_id = ?',
      [lines[0].item.id],
    );
    expect(partial).toEqual({ quantity_reserved: 3, quantity_fulfilled: 2, is_active: true });
    let [row] = await sql<{ status: string }>(app, 'select status from orders where id = ?', [order.id]);
    expect(row.status).toBe('processing');
    const shippedEntries = (await history(order.id)).filter((e) => e.action === 'shipped');
    expect(shippedEntries).toHaveLength(1);
    expect(shippedEntries[0]).toMatchObject({
      old_status: null,
      new_status: null,
      additional_data: { fulfillmentId: first.id, orderComplete: false },
    });
    expect(await app.get(FulfillmentService).shippedQuantities(order.id)).toEqual({ [lines[0].item.id]: 2 });
    expect(await app.get(FulfillmentService).hasShipped(order.id)).toBe(true);

    expect((await move(second.id, S.SHIPPED)).status).toBe(200);
    expect(await level(lines[0].stockLevelId)).toEqual({ onHand: 7, reserved: 0 });
    expect(await level(lines[1].stockLevelId)).toEqual({ onHand: 8, reserved: 0 });
    const reservations = await sql<{
      quantity_fulfilled: number;
      is_active: boolean;
      release_reason: string;
    }>(
      app,
      'select quantity_fulfilled, is_active, release_reason from inventory_reservations where order_id = ? order by quantity_reserved desc',
      [order.id],
    );
    expect(reservations).toEqual([
      { quantity_fulfilled: 3, is_active: false, release_reason: 'fulfilled' },
      { quantity_fulfilled: 2, is_active: false, release_reason: 'fulfilled' },
    ]);
    [row] = await sql<{ status: string }>(app, 'select status from orders where id = ?', [order.id]);
    expect(row.status).toBe('shipped');
    const last = (await history(order.id)).filter((e) => e.action === 'shipped').at(-1)!;
    expect(last).toMatchObject({
      old_status: 'processing',
      new_status: 'shipped',
      additional_data: { fulfillmentId: second.id, orderComplete: true },
    });
  });

  it('refuses to ship what is not reserved, changing nothing', async () => {
    const { order, lines } = await orderWith([2], 10);
    // Confirming reserved the item; releasing that reservation leaves nothing reserved.
    const [reservation] = await sql<{ id: string }>(
      app,
      'select id from inventory_reservations where order_id = ? and is_active',
      [order.id],
    );
    await http(app)
      .post(`${API}/reservations/${reservation.id}/release`)
      .set(warehouse.auth)
      .send({})
      .expect(200);
    const made = await createFulfillment(order.id, { [lines[0].item.id]: 2 });
    await walk(made.id, S.READY_TO_SHIP);
    const before = await history(order.id);
    const res = await move(made.id, S.SHIPPED);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
    const [row] = await sql<{ status: string; shipped_at: Date | null }>(
      app,
      'select status, shipped_at from order_fulfillments where id = ?',
      [made.id],
    );
    expect(row).toEqual({ status: 'ready_to_ship', shipped_at: null });
    expect(await level(lines[0].stockLevelId)).toEqual({ onHand: 10, reserved: 0 });
    expect(await history(order.id)).toHaveLength(before.length);
  });

  it('ships once when two ship requests race: one 200, one 409, one history entry, stock down once', async () => {
    const { order, lines } = await orderWith([4], 10);
    const made = await createFulfillment(order.id, { [lines[0].item.id]: 2 });
    await walk(made.id, S.READY_TO_SHIP);

    const responses = await Promise.all([move(made.id, S.SHIPPED), move(made.id, S.SHIPPED)]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
    const refused = responses.find((r) => r.status === 409)!;
    expect(refused.body).toMatchObject({ code: 'INVALID_TRANSITION', from: 'shipped', to: 'shipped' });
    const shipped = (await history(order.id)).filter((e) => e.action === 'shipped');
    expect(shipped).toHaveLength(1);
    expect(await level(lines[0].stockLevelId)).toEqual({ onHand: 8, reserved: 2 });
    const [reservation] = await sql<{ quantity_fulfilled: number }>(
      app,
      'select quantity_fulfilled from inventory_reservations where order_id = ?',
      [order.id],
    );
    expect(reservation.quantity_fulfilled).toBe(2);
  });

  it('lets one of several racing moves from the same state win', async () => {
    const { order, lines } = await orderWith([1], 10);
    const made = await createFulfillment(order.id, { [lines[0].item.id]: 1 });
    await walk(made.id, S.PACKING);
    const version = await versionOf(made.id);
    const responses = await Promise.all([
      move(made.id, S.READY_TO_SHIP),
      move(made.id, S.READY_TO_SHIP),
      move(made.id, S.PICKING),
      move(made.id, S.PICKING),
    ]);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(3);
    const moves = (await history(order.id)).filter(
      (e) => e.additional_data?.fulfillmentId === made.id && e.additional_data?.from === 'packing',
    );
    expect(moves).toHaveLength(1);
    expect(await versionOf(made.id)).toBe(version + 1);
  });

  it('keeps warehouse moves to confirmed or processing orders; cancelling is always possible', async () => {
    const { order, lines } = await orderWith([2], 10);
    const a = await createFulfillment(order.id, { [lines[0].item.id]: 1 });
    const b = await createFulfillment(order.id, { [lines[0].item.id]: 1 });
    // Set by SQL: cancelling through the API cancels the open parcels too, so no request reaches this
    // state; the guard is there for the order that moves on while a warehouse move is under way.
    await sql(app, "update orders set status = 'cancelled' where id = ?", [order.id]);
    const res = await move(a.id, S.PICKING);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
    expect(res.body.detail).toContain('while the order is confirmed or processing');
    expect((await move(b.id, S.CANCELLED)).status).toBe(200);
  });

  it('cancelOpenForOrder cancels what has not shipped, with history, and frees the items', async () => {
    const { order, lines } = await orderWith([5], 10);
    const item = lines[0].item.id;
    const shipped = await createFulfillment(order.id, { [item]: 1 });
    await walk(shipped.id, S.READY_TO_SHIP);
    expect((await move(shipped.id, S.SHIPPED)).status).toBe(200);
    const open = [];
    for (const status of [S.PENDING, S.PICKING, S.PACKING]) {
      const made = await createFulfillment(order.id, { [item]: 1 });
      if (status !== S.PENDING) await walk(made.id, status);
      open.push({ ...made, status });
    }
    const cancelledBefore = await createFulfillment(order.id, { [item]: 1 });
    await move(cancelledBefore.id, S.CANCELLED);

    const count = await app
      .get(UnitOfWork)
      .run('test-cancel', () =>
        app.get(FulfillmentService).cancelOpenForOrder(order.id, 'customer changed mind'),
      );
    expect(count).toBe(3);
    const rows = await sql<{ id: string; status: string; cancelled_at: Date | null }>(
      app,
      'select id, status, cancelled_at from order_fulfillments where order_id = ?',
      [order.id],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(shipped.id)!.status).toBe('shipped');
    for (const f of open) {
      expect(byId.get(f.id)).toMatchObject({ status: 'cancelled', cancelled_at: expect.anything() });
    }
    const entries = (await history(order.id)).filter(
      (e) => e.action === 'status_changed' && e.additional_data?.reason === 'customer changed mind',
    );
    expect(entries.map((e) => e.additional_data?.from).sort()).toEqual(['packing', 'pending', 'picking']);
    expect(await app.get(FulfillmentService).shippedQuantities(order.id)).toEqual({ [item]: 1 });
  });

  it('validates the move request', async () => {
    const { order, lines } = await orderWith([1], 10);
    const made = await createFulfillment(order.id, { [lines[0].item.id]: 1 });
    expect((await move(made.id, 'lost')).status).toBe(400);
    expect((await move(made.id, S.PICKING, warehouse, 'x'.repeat(2001))).status).toBe(400);
    expect((await move(randomUUID(), S.PICKING)).status).toBe(404);
    expect((await move('abc', S.PICKING)).status).toBe(400);
    expect((await move(made.id, S.PICKING, support)).status).toBe(403);
    expect((await move(made.id, S.PICKING, customer)).status).toBe(403);
    const [row] = await sql<{ status: string }>(app, 'select status from order_fulfillments where id = ?', [
      made.id,
    ]);
    expect(row.status).toBe('pending');
  });
});
