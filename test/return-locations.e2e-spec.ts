import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createLocation, createVariantWithStock, stockCountersOf, StockCounters } from './utils/factories';
import { placeOrder } from './utils/orders';
import { UserRole } from '../src/identity/user-role.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';

const API = '/api/v1';
const WALK = ['picking', 'packing', 'ready_to_ship'];

interface RecordedLine {
  orderItemId: string;
  quantity: number;
  restocked: boolean;
  stockLocationId: string | null;
  shippedFrom: { stockLocationId: string; stockLocationCode: string; quantity: number }[];
  restockedAt: { stockLocationId: string; stockLocationCode: string; quantity: number }[];
}

/**
 * Stock and locations at both ends of a parcel's life: returned units go back on hand where they
 * shipped from (never more at a location than left it), and a parcel whose location was
 * deactivated after it was created still ships from there.
 */
describe('where shipped units leave and returned units come back', () => {
  let app: TestApp;
  let support: TestUser;
  let warehouse: TestUser;
  let admin: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    [support, warehouse, admin, customer] = await Promise.all([
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.CUSTOMER),
    ]);
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, user: TestUser, body: object = {}) =>
    http(app).post(`${API}${path}`).set(user.auth).send(body);
  const get = (path: string, user: TestUser = support) => http(app).get(`${API}${path}`).set(user.auth);

  const level = (variant: ProductVariant, location: StockLocation): Promise<StockCounters> =>
    stockCountersOf(app, variant, location);

  /** The drift report's mismatches on this variant's stock levels (none: consistent). */
  async function mismatches(variant: ProductVariant) {
    const ids = await sql<{ id: string }>(app, 'select id from stock_levels where product_variant_id = ?', [
      variant.id,
    ]);
    const mine = new Set(ids.map((r) => r.id));
    const report = await get('/inventory/consistency', admin).expect(200);
    return report.body.mismatches.filter((m: { stockLevelId: string }) => mine.has(m.stockLevelId));
  }

  /** Two fresh locations, A before B in code order, and a variant with 10 units at each. */
  async function twoLocations() {
    const [a, b] = [await createLocation(app), await createLocation(app)].sort((p, q) =>
      p.code < q.code ? -1 : 1,
    );
    const { variant } = await createVariantWithStock(app, 10, a);
    await http(app)
      .put(`${API}/stock-levels/${variant.id}/${b.id}`)
      .set(admin.auth)
      .send({ quantityOnHand: 10 })
      .expect(200);
    return { a, b, variant };
  }

  async function createParcel(orderId: string, at: StockLocation, items: Record<string, number>) {
    const res = await post(`/orders/${orderId}/fulfillments`, warehouse, {
      warehouseLocation: at.code,
      items,
    }).expect(201);
    return res.body.id as string;
  }

  async function walk(parcelId: string, ...statuses: string[]) {
    for (const status of statuses)
      await post(`/fulfillments/${parcelId}/status`, warehouse, { status }).expect(200);
  }

  /**
   * An order of `fromA + fromB` units of the variant, confirmed, its hold split between A and B
   * (released and reserved again, as the warehouse does), shipped in one parcel from each location
   * and delivered, all through the API.
   */
  async function shippedFromAandB(
    variant: ProductVariant,
    a: StockLocation,
    b: StockLocation,
    fromA: number,
    fromB: number,
  ) {
    const order = await placeOrder(app, support, customer.user, [{ variant, quantity: fromA + fromB }]);
    const itemId = order.items[0].id;
    await post(`/orders/${order.id}/confirm`, support, {
      items: [{ orderItemId: itemId, stockLocationId: a.id }],
    }).expect(200);
    const [hold] = (await get(`/orders/${order.id}/reservations`).expect(200)).body.data;
    await post(`/reservations/${hold.id}/release`, warehouse).expect(200);
    for (const [at, quantity] of [
      [a, fromA],
      [b, fromB],
    ] as const) {
      await post('/reservations', warehouse, {
        orderId: order.id,
        orderItemId: itemId,
        productVariantId: variant.id,
        stockLocationId: at.id,
        quantity,
      }).expect(201);
      await walk(await createParcel(order.id, at, { [itemId]: quantity }), ...WALK, 'shipped');
    }
    await post(`/orders/${order.id}/deliver`, warehouse).expect(200);
    return { orderId: order.id, itemId };
  }

  async function returnUnits(orderId: string, itemId: string, quantity: number, restock: boolean) {
    await post(`/orders/${orderId}/return-request`, support, {
      reason: 'Not wanted',
      items: [{ orderItemId: itemId, quantity }],
    }).expect(200);
    return post(`/orders/${orderId}/returns`, warehouse, {
      items: [{ orderItemId: itemId, quantity, restock }],
    }).expect(200);
  }

  async function recordedReturns(orderId: string): Promise<RecordedLine[][]> {
    const rows = await sql<{ additional_data: { items: RecordedLine[] } }>(
      app,
      `select additional_data from order_history where order_id = ? and action = 'returned' order by sequence`,
      [orderId],
    );
    return rows.map((row) => row.additional_data.items);
  }

  describe('returned units go back to the locations they shipped from', () => {
    it('one unit shipped from A and one from B, both returned with restock: one back at each', async () => {
      const { a, b, variant } = await twoLocations();
      const { orderId, itemId } = await shippedFromAandB(variant, a, b, 1, 1);
      expect(await level(variant, a)).toEqual({ on_hand: 9, reserved: 0 });
      expect(await level(variant, b)).toEqual({ on_hand: 9, reserved: 0 });

      const res = await returnUnits(orderId, itemId, 2, true);
      expect(res.body.status).toBe('returned');
      expect(await level(variant, a)).toEqual({ on_hand: 10, reserved: 0 });
      expect(await level(variant, b)).toEqual({ on_hand: 10, reserved: 0 });
      expect(await mismatches(variant)).toEqual([]);
      const at = (l: StockLocation, quantity: number) => ({
        stockLocationId: l.id,
        stockLocationCode: l.code,
        quantity,
      });
      expect(await recordedReturns(orderId)).toEqual([
        [
          expect.objectContaining({
            orderItemId: itemId,
            quantity: 2,
            restocked: true,
            stockLocationId: null,
            shippedFrom: [at(a, 1), at(b, 1)],
            restockedAt: [at(a, 1), at(b, 1)],
          }),
        ],
      ]);
    });

    it('a second partial return continues at the location whose units are still out', async () => {
      const { a, b, variant } = await twoLocations();
      const { orderId, itemId } = await shippedFromAandB(variant, a, b, 2, 1);
      expect(await level(variant, a)).toEqual({ on_hand: 8, reserved: 0 });
      expect(await level(variant, b)).toEqual({ on_hand: 9, reserved: 0 });

      // A first (code order), two units of it.
      const first = await returnUnits(orderId, itemId, 2, true);
      expect(first.body.status).toBe('delivered');
      expect(await level(variant, a)).toEqual({ on_hand: 10, reserved: 0 });
      expect(await level(variant, b)).toEqual({ on_hand: 9, reserved: 0 });

      // A has every unit back that left it: the last one goes to B.
      const second = await returnUnits(orderId, itemId, 1, true);
      expect(second.body.status).toBe('returned');
      expect(await level(variant, a)).toEqual({ on_hand: 10, reserved: 0 });
      expect(await level(variant, b)).toEqual({ on_hand: 10, reserved: 0 });
      expect(await mismatches(variant)).toEqual([]);
      const [[one], [two]] = await recordedReturns(orderId);
      expect(one.restockedAt).toEqual([expect.objectContaining({ stockLocationId: a.id, quantity: 2 })]);
      expect(one.stockLocationId).toBe(a.id);
      expect(two.restockedAt).toEqual([expect.objectContaining({ stockLocationId: b.id, quantity: 1 })]);
    });

    it('restock: false puts nothing back anywhere, and its units count where they shipped from', async () => {
      const { a, b, variant } = await twoLocations();
      const { orderId, itemId } = await shippedFromAandB(variant, a, b, 1, 1);

      const damaged = await returnUnits(orderId, itemId, 1, false);
      expect(damaged.body.status).toBe('delivered');
      expect(await level(variant, a)).toEqual({ on_hand: 9, reserved: 0 });
      expect(await level(variant, b)).toEqual({ on_hand: 9, reserved: 0 });
      const [[line]] = await recordedReturns(orderId);
      expect(line).toMatchObject({ restocked: false, stockLocationId: null, restockedAt: [] });
      expect(line.shippedFrom).toEqual([expect.objectContaining({ stockLocationId: a.id, quantity: 1 })]);

      // The unit that left A is back (not restocked): A takes no more, the next one goes to B.
      await returnUnits(orderId, itemId, 1, true);
      expect(await level(variant, a)).toEqual({ on_hand: 9, reserved: 0 });
      expect(await level(variant, b)).toEqual({ on_hand: 10, reserved: 0 });
      expect(await mismatches(variant)).toEqual([]);
    });

    it('a line naming a stockLocationId restocks all its units there', async () => {
      const { a, b, variant } = await twoLocations();
      const outlet = await createLocation(app);
      const { orderId, itemId } = await shippedFromAandB(variant, a, b, 1, 1);
      await post(`/orders/${orderId}/return-request`, support, {
        reason: 'Not wanted',
        items: [{ orderItemId: itemId, quantity: 2 }],
      }).expect(200);
      await post(`/orders/${orderId}/returns`, warehouse, {
        items: [{ orderItemId: itemId, quantity: 2, restock: true, stockLocationId: outlet.id }],
      }).expect(200);
      expect(await level(variant, a)).toEqual({ on_hand: 9, reserved: 0 });
      expect(await level(variant, b)).toEqual({ on_hand: 9, reserved: 0 });
      expect(await level(variant, outlet)).toEqual({ on_hand: 2, reserved: 0 });
      const [[line]] = await recordedReturns(orderId);
      expect(line).toMatchObject({
        stockLocationId: outlet.id,
        restockedAt: [{ stockLocationId: outlet.id }],
      });
      expect(await mismatches(variant)).toEqual([]);
    });
  });

  describe('a parcel whose location was deactivated after it was created', () => {
    it('still ships from there (the goods are there); new parcels and holds there are refused', async () => {
      const { a, variant } = await twoLocations();
      const order = await placeOrder(app, support, customer.user, [{ variant, quantity: 3 }]);
      const itemId = order.items[0].id;
      await post(`/orders/${order.id}/confirm`, support, {
        items: [{ orderItemId: itemId, stockLocationId: a.id }],
      }).expect(200);
      const parcel = await createParcel(order.id, a, { [itemId]: 1 });
      await walk(parcel, ...WALK);
      await http(app)
        .patch(`${API}/stock-locations/${a.id}`)
        .set(admin.auth)
        .send({ isActive: false })
        .expect(200);

      await walk(parcel, 'shipped');
      expect(await level(variant, a)).toEqual({ on_hand: 9, reserved: 2 });
      expect((await get(`/orders/${order.id}`).expect(200)).body.status).toBe('processing');

      // Units reserved there before the deactivation can still be handed over directly…
      const [hold] = (await get(`/orders/${order.id}/reservations`).expect(200)).body.data;
      await post(`/reservations/${hold.id}/fulfil`, warehouse, { quantity: 1 }).expect(200);
      expect(await level(variant, a)).toEqual({ on_hand: 8, reserved: 1 });
      // …but nothing new starts there: no new parcel, no new hold.
      const refused = await post(`/orders/${order.id}/fulfillments`, warehouse, {
        warehouseLocation: a.code,
        items: { [itemId]: 1 },
      }).expect(400);
      expect(refused.body.errors).toEqual([
        { field: 'warehouseLocation', message: `stock location ${a.code} is inactive` },
      ]);
      await post(`/reservations/${hold.id}/release`, warehouse).expect(200);
      const again = await post('/reservations', warehouse, {
        orderId: order.id,
        orderItemId: itemId,
        productVariantId: variant.id,
        stockLocationId: a.id,
        quantity: 1,
      }).expect(409);
      expect(again.body.detail).toMatch(/inactive/);
      expect(await level(variant, a)).toEqual({ on_hand: 8, reserved: 0 });
      expect(await mismatches(variant)).toEqual([]);
    });
  });
});
