import { randomUUID } from 'node:crypto';
import {
  createTestApp,
  createUsersOfEveryRole,
  expectFieldError,
  http,
  sql,
  TestApp,
  TestUser,
} from './utils/app';
import { createLocation, createOrder, createVariantWithStock, releaseReservations } from './utils/factories';
import { OrderStatus } from '../src/orders/order-status.enum';
import { UnitOfWork } from '../src/common/unit-of-work';
import { InsufficientStockError } from '../src/common/errors';
import { ReservationsService } from '../src/reservations/reservations.service';
import { ReleaseReason } from '../src/reservations/release-reason.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';
import { OrdersService } from '../src/orders/orders.service';
import { HistoryVerifyService } from '../src/history/history-verify.service';

interface LevelRow {
  quantity_on_hand: number;
  quantity_reserved: number;
}

interface HistoryRow {
  action: string;
  description: string;
  additional_data: Record<string, unknown>;
}

describe('reservations', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let service: ReservationsService;
  let uow: UnitOfWork;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    service = app.get(ReservationsService);
    uow = app.get(UnitOfWork);
  });
  afterAll(async () => {
    await app.close();
  });

  const read = <T>(work: () => Promise<T>) => uow.read('test', work);

  async function level(variant: ProductVariant, location: StockLocation): Promise<LevelRow> {
    const [row] = await sql<LevelRow>(
      app,
      'select quantity_on_hand, quantity_reserved from stock_levels where product_variant_id = ? and stock_location_id = ?',
      [variant.id, location.id],
    );
    return row;
  }

  function history(orderId: string): Promise<HistoryRow[]> {
    return sql<HistoryRow>(
      app,
      `select action, description, additional_data from order_history
        where order_id = ? and action in ('inventory_reserved', 'inventory_released') order by sequence`,
      [orderId],
    );
  }

  /**
   * A variant with `onHand` units and an order of `ordered` units of it in `status`; a confirmed one
   * has the reservation its confirmation made released, so that the test reserves by hand.
   */
  async function setup(onHand: number, ordered: number, status?: OrderStatus) {
    const { variant, location } = await createVariantWithStock(app, onHand);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: ordered }], status);
    if (status === OrderStatus.CONFIRMED) await releaseReservations(app, order.id);
    const body = (quantity: number, extra: Record<string, unknown> = {}) => ({
      orderId: order.id,
      orderItemId: items[0].id,
      productVariantId: variant.id,
      stockLocationId: location.id,
      quantity,
      ...extra,
    });
    return { variant, location, order, item: items[0], body };
  }

  describe('POST /reservations', () => {
    it('reserves, answers 201 with the reservation and records inventory_reserved', async () => {
      const { variant, location, order, item, body } = await setup(10, 4);
      const expiresAt = new Date(Date.now() + 3600_000).toISOString();
      const res = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body(3, { expiresAt, notes: 'hold' }))
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        orderId: order.id,
        orderItemId: item.id,
        productVariantId: variant.id,
        stockLocationId: location.id,
        quantityReserved: 3,
        quantityFulfilled: 0,
        isActive: true,
        expiresAt,
        reservedAt: expect.any(String),
        releasedAt: null,
        fulfilledAt: null,
        releaseReason: null,
      });
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 3 });
      const entries = await history(order.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        action: 'inventory_reserved',
        description: `Reserved 3 × ${variant.sku} at ${location.code} until ${expiresAt}`,
        additional_data: {
          change: 'reserved',
          reservationId: res.body.id,
          orderItemId: item.id,
          productVariantId: variant.id,
          sku: variant.sku,
          stockLocationId: location.id,
          stockLocationCode: location.code,
          quantity: 3,
          expiresAt,
        },
      });
      const read = await http(app).get(`/api/v1/reservations/${res.body.id}`).set(support.auth).expect(200);
      expect(read.body).toEqual(res.body);
    });

    it('never expires without RESERVATION_TTL_MINUTES or with expiresAt null', async () => {
      const { body } = await setup(10, 4);
      const a = await http(app).post('/api/v1/reservations').set(admin.auth).send(body(1)).expect(201);
      const b = await http(app)
        .post('/api/v1/reservations')
        .set(admin.auth)
        .send(body(1, { expiresAt: null }))
        .expect(201);
      expect([a.body.expiresAt, b.body.expiresAt]).toEqual([null, null]);
    });

    it('answers 409 INSUFFICIENT_STOCK listing the short line, and reserves nothing', async () => {
      const { variant, location, item, body } = await setup(2, 5);
      const res = await http(app).post('/api/v1/reservations').set(warehouse.auth).send(body(3)).expect(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({
        status: 409,
        code: 'INSUFFICIENT_STOCK',
        shortages: [
          {
            productVariantId: variant.id,
            stockLocationId: location.id,
            orderItemId: item.id,
            sku: variant.sku,
            requested: 3,
            available: 2,
          },
        ],
      });
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 2, quantity_reserved: 0 });
    });

    it('treats a location without stock of the variant as 0 available', async () => {
      const { body } = await setup(5, 1);
      const elsewhere = await createLocation(app);
      const res = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body(1, { stockLocationId: elsewhere.id }))
        .expect(409);
      expect(res.body.shortages).toEqual([expect.objectContaining({ requested: 1, available: 0 })]);
    });

    it('never reserves more for an order item than was ordered (held + fulfilled)', async () => {
      const { variant, location, body } = await setup(10, 3, OrderStatus.CONFIRMED);
      await http(app).post('/api/v1/reservations').set(warehouse.auth).send(body(2)).expect(201);
      const res = await http(app).post('/api/v1/reservations').set(warehouse.auth).send(body(2)).expect(409);
      expect(res.body).toMatchObject({
        code: 'CONFLICT',
        items: [{ ordered: 3, reserved: 2, requested: 2 }],
      });
      const last = await http(app).post('/api/v1/reservations').set(warehouse.auth).send(body(1)).expect(201);
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 3 });
      // Fulfilled units count too: what has shipped is not reserved again.
      await http(app)
        .post(`/api/v1/reservations/${last.body.id}/fulfil`)
        .set(warehouse.auth)
        .send({ quantity: 1 });
      const again = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body(1))
        .expect(409);
      expect(again.body.items).toEqual([
        { orderItemId: expect.any(String), ordered: 3, reserved: 2, fulfilled: 1, requested: 1 },
      ]);
    });

    it('validates the body, naming the fields', async () => {
      const { body } = await setup(10, 3);
      const bad = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send({ ...body(0), orderId: 'nope', extra: true })
        .expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(
        expect.arrayContaining(['quantity', 'orderId', 'extra']),
      );
      const past = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body(1, { expiresAt: new Date(Date.now() - 1000).toISOString() }))
        .expect(400);
      expect(past.body.errors).toEqual([{ field: 'expiresAt', message: 'must be in the future' }]);
      await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body(1, { expiresAt: 'tomorrow' }))
        .expect(400);
    });

    it('checks that the item belongs to the order and is for the variant', async () => {
      const { body } = await setup(10, 3);
      const other = await setup(10, 3);
      const mismatch = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body(1, { productVariantId: other.variant.id }))
        .expect(400);
      expect(mismatch.body.errors[0].field).toBe('productVariantId');
      await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body(1, { orderItemId: other.item.id }))
        .expect(404);
      await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body(1, { orderId: randomUUID() }))
        .expect(404);
      await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body(1, { stockLocationId: randomUUID() }))
        .expect(404);
    });

    it('refuses orders that are cancelled and locations that are inactive (409)', async () => {
      const cancelled = await setup(10, 3, OrderStatus.CANCELLED);
      const closed = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(cancelled.body(1))
        .expect(409);
      expect(closed.body).toMatchObject({ code: 'CONFLICT', orderStatus: 'cancelled' });
      const { location, body } = await setup(10, 3);
      await http(app)
        .patch(`/api/v1/stock-locations/${location.id}`)
        .set(admin.auth)
        .send({ isActive: false });
      const res = await http(app).post('/api/v1/reservations').set(warehouse.auth).send(body(1)).expect(409);
      expect(res.body.detail).toContain('inactive');
    });

    it('replays a repeat with the same Idempotency-Key and creates nothing new', async () => {
      const { variant, location, body } = await setup(10, 5);
      const key = randomUUID();
      const first = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .set('Idempotency-Key', key)
        .send(body(2))
        .expect(201);
      const again = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .set('Idempotency-Key', key)
        .send(body(2))
        .expect(201);
      expect(again.body).toEqual(first.body);
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 2 });
      await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .set('Idempotency-Key', key)
        .send(body(3))
        .expect(422);
    });

    it('is for admin and warehouse only', async () => {
      const { body } = await setup(10, 3);
      await http(app).post('/api/v1/reservations').set(support.auth).send(body(1)).expect(403);
      await http(app).post('/api/v1/reservations').set(customer.auth).send(body(1)).expect(403);
      await http(app).post('/api/v1/reservations').send(body(1)).expect(401);
      await http(app).get('/api/v1/reservations').set(customer.auth).expect(403);
    });
  });

  describe('reading', () => {
    it('lists with filters and per order', async () => {
      const { variant, location, order, body } = await setup(10, 5);
      const a = await http(app).post('/api/v1/reservations').set(admin.auth).send(body(1)).expect(201);
      const soon = new Date(Date.now() + 60_000).toISOString();
      const b = await http(app)
        .post('/api/v1/reservations')
        .set(admin.auth)
        .send(body(2, { expiresAt: soon }))
        .expect(201);
      await http(app).post(`/api/v1/reservations/${a.body.id}/release`).set(admin.auth).expect(200);

      const byOrder = await http(app)
        .get(`/api/v1/orders/${order.id}/reservations`)
        .set(support.auth)
        .expect(200);
      expect(byOrder.body.meta.total).toBe(2);
      const active = await http(app)
        .get('/api/v1/reservations')
        .query({ orderId: order.id, isActive: 'true' })
        .set(warehouse.auth)
        .expect(200);
      expect(active.body.data.map((r: { id: string }) => r.id)).toEqual([b.body.id]);
      const filtered = await http(app)
        .get('/api/v1/reservations')
        .query({
          productVariantId: variant.id,
          stockLocationId: location.id,
          expiresBefore: new Date(Date.now() + 120_000).toISOString(),
        })
        .set(admin.auth)
        .expect(200);
      expect(filtered.body.data.map((r: { id: string }) => r.id)).toEqual([b.body.id]);
      const sorted = await http(app)
        .get('/api/v1/reservations')
        .query({ orderId: order.id, sort: 'quantityReserved' })
        .set(admin.auth)
        .expect(200);
      expect(sorted.body.data.map((r: { quantityReserved: number }) => r.quantityReserved)).toEqual([1, 2]);
      expectFieldError(
        await http(app).get('/api/v1/reservations').query({ sort: 'notes' }).set(admin.auth),
        'sort',
      );
      expectFieldError(
        await http(app).get('/api/v1/reservations').query({ isActive: 'maybe' }).set(admin.auth),
        'isActive',
      );
      await http(app).get(`/api/v1/orders/${randomUUID()}/reservations`).set(admin.auth).expect(404);
      await http(app).get(`/api/v1/reservations/${randomUUID()}`).set(admin.auth).expect(404);
    });

    it('summarises per order item and totals per variant and location', async () => {
      const { variant, location, order, item, body } = await setup(10, 5, OrderStatus.CONFIRMED);
      const r = await http(app).post('/api/v1/reservations').set(admin.auth).send(body(3)).expect(201);
      await http(app).post('/api/v1/reservations').set(admin.auth).send(body(1)).expect(201);
      await http(app)
        .post(`/api/v1/reservations/${r.body.id}/fulfil`)
        .set(admin.auth)
        .send({ quantity: 2 })
        .expect(200);
      expect(await read(() => service.summaryForOrder(order.id))).toEqual([
        { orderItemId: item.id, reserved: 2, fulfilled: 2, active: 2 },
      ]);
      expect(await read(() => service.totalReserved(variant.id))).toBe(2);
      expect(await read(() => service.totalReserved(variant.id, location.id))).toBe(2);
      expect(await read(() => service.totalReservedByLocation(variant.id))).toEqual([
        { stockLocationId: location.id, reserved: 2 },
      ]);
      expect((await read(() => service.listForVariant(variant.id, { activeOnly: true }))).length).toBe(2);
      // Every reservation of the order, oldest first: the one confirming made (released), then ours.
      expect(
        (await read(() => service.listForOrder(order.id))).map((x) => [x.quantityReserved, x.isActive]),
      ).toEqual([
        [5, false],
        [3, true],
        [1, true],
      ]);
    });
  });

  describe('release, fulfil, extend', () => {
    it('releases an active reservation once; the second release is a 409', async () => {
      const { variant, location, order, body } = await setup(10, 5);
      const r = await http(app).post('/api/v1/reservations').set(admin.auth).send(body(4)).expect(201);
      const res = await http(app)
        .post(`/api/v1/reservations/${r.body.id}/release`)
        .set(warehouse.auth)
        .expect(200);
      expect(res.body).toMatchObject({
        isActive: false,
        releaseReason: 'released',
        releasedAt: expect.any(String),
        fulfilledAt: null,
      });
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 0 });
      const again = await http(app)
        .post(`/api/v1/reservations/${r.body.id}/release`)
        .set(warehouse.auth)
        .expect(409);
      expect(again.body.code).toBe('CONFLICT');
      await http(app).post(`/api/v1/reservations/${r.body.id}/release`).set(support.auth).expect(403);
      await http(app).post(`/api/v1/reservations/${randomUUID()}/release`).set(admin.auth).expect(404);
      const entries = await history(order.id);
      expect(entries.map((e) => e.action)).toEqual(['inventory_reserved', 'inventory_released']);
      expect(entries[1].additional_data).toMatchObject({
        change: 'released',
        quantity: 4,
        stockLocationCode: location.code,
        releaseReason: 'released',
      });
    });

    it('fulfils partially, then fully: on hand and reserved go down together', async () => {
      const { variant, location, body } = await setup(10, 5, OrderStatus.CONFIRMED);
      const r = await http(app).post('/api/v1/reservations').set(admin.auth).send(body(5)).expect(201);
      const part = await http(app)
        .post(`/api/v1/reservations/${r.body.id}/fulfil`)
        .set(warehouse.auth)
        .send({ quantity: 2 })
        .expect(200);
      expect(part.body).toMatchObject({ quantityFulfilled: 2, isActive: true, releaseReason: null });
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 8, quantity_reserved: 3 });
      const over = await http(app)
        .post(`/api/v1/reservations/${r.body.id}/fulfil`)
        .set(warehouse.auth)
        .send({ quantity: 4 })
        .expect(409);
      expect(over.body).toMatchObject({ outstanding: 3, requested: 4 });
      const rest = await http(app)
        .post(`/api/v1/reservations/${r.body.id}/fulfil`)
        .set(warehouse.auth)
        .send({ quantity: 3 })
        .expect(200);
      expect(rest.body).toMatchObject({
        quantityFulfilled: 5,
        isActive: false,
        releaseReason: 'fulfilled',
        fulfilledAt: expect.any(String),
      });
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 5, quantity_reserved: 0 });
      await http(app)
        .post(`/api/v1/reservations/${r.body.id}/fulfil`)
        .set(warehouse.auth)
        .send({ quantity: 1 })
        .expect(409);
      await http(app)
        .post(`/api/v1/reservations/${r.body.id}/fulfil`)
        .set(warehouse.auth)
        .send({ quantity: 0 })
        .expect(400);
    });

    it('extends an active reservation into the future only', async () => {
      const { order, body } = await setup(10, 5);
      const r = await http(app)
        .post('/api/v1/reservations')
        .set(admin.auth)
        .send(body(1, { expiresAt: new Date(Date.now() + 60_000).toISOString() }))
        .expect(201);
      const later = new Date(Date.now() + 7200_000).toISOString();
      const res = await http(app)
        .post(`/api/v1/reservations/${r.body.id}/extend`)
        .set(warehouse.auth)
        .send({ expiresAt: later })
        .expect(200);
      expect(res.body.expiresAt).toBe(later);
      const past = await http(app)
        .post(`/api/v1/reservations/${r.body.id}/extend`)
        .set(warehouse.auth)
        .send({ expiresAt: new Date(Date.now() - 1000).toISOString() })
        .expect(400);
      expect(past.body.errors[0].field).toBe('expiresAt');
      await http(app)
        .post(`/api/v1/reservations/${r.body.id}/extend`)
        .set(warehouse.auth)
        .send({})
        .expect(400);
      await http(app).post(`/api/v1/reservations/${r.body.id}/release`).set(warehouse.auth).expect(200);
      await http(app)
        .post(`/api/v1/reservations/${r.body.id}/extend`)
        .set(warehouse.auth)
        .send({ expiresAt: later })
        .expect(409);
      const entries = await history(order.id);
      expect(entries[1]).toMatchObject({
        action: 'inventory_reserved',
        additional_data: { change: 'extended', expiresAt: later, previousExpiresAt: r.body.expiresAt },
      });
    });
    it('extending never shortens a hold, nor gives an expiry to one that never expires', async () => {
      const { body } = await setup(10, 5);
      const soon = new Date(Date.now() + 3600_000).toISOString();
      const timed = await http(app)
        .post('/api/v1/reservations')
        .set(admin.auth)
        .send(body(1, { expiresAt: soon }))
        .expect(201);
      for (const expiresAt of [new Date(Date.now() + 60_000).toISOString(), soon]) {
        const res = await http(app)
          .post(`/api/v1/reservations/${timed.body.id}/extend`)
          .set(warehouse.auth)
          .send({ expiresAt })
          .expect(409);
        expect(res.body).toMatchObject({ code: 'CONFLICT', currentExpiresAt: soon });
      }
      const forever = await http(app)
        .post('/api/v1/reservations')
        .set(admin.auth)
        .send(body(1, { expiresAt: null }))
        .expect(201);
      expect(forever.body.expiresAt).toBeNull();
      const res = await http(app)
        .post(`/api/v1/reservations/${forever.body.id}/extend`)
        .set(warehouse.auth)
        .send({ expiresAt: new Date(Date.now() + 7200_000).toISOString() })
        .expect(409);
      expect(res.body).toMatchObject({ code: 'CONFLICT', currentExpiresAt: null });
      const [timedRow, foreverRow] = await Promise.all(
        [timed.body.id, forever.body.id].map((id) =>
          http(app).get(`/api/v1/reservations/${id}`).set(warehouse.auth).expect(200),
        ),
      );
      expect(timedRow.body.expiresAt).toBe(soon);
      expect(foreverRow.body.expiresAt).toBeNull();
    });
  });

  describe('expired reservations never block', () => {
    it('releases expired holds of the stock level inside the reserving transaction', async () => {
      const { variant, location, order, body } = await setup(3, 3);
      const other = await createOrder(app, customer.user, [{ variant, quantity: 3 }]);
      const old = await http(app)
        .post('/api/v1/reservations')
        .set(admin.auth)
        .send(body(3, { expiresAt: new Date(Date.now() + 60_000).toISOString() }))
        .expect(201);
      await sql(
        app,
        "update inventory_reservations set expires_at = now() - interval '1 minute' where id = ?",
        [old.body.id],
      );
      const fresh = await http(app)
        .post('/api/v1/reservations')
        .set(admin.auth)
        .send({ ...body(3), orderId: other.order.id, orderItemId: other.items[0].id })
        .expect(201);
      expect(fresh.body.isActive).toBe(true);
      const expired = await http(app).get(`/api/v1/reservations/${old.body.id}`).set(admin.auth).expect(200);
      expect(expired.body).toMatchObject({ isActive: false, releaseReason: 'expired' });
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 3, quantity_reserved: 3 });
      const entries = await history(order.id);
      expect(entries.map((e) => [e.action, e.additional_data.change])).toEqual([
        ['inventory_reserved', 'reserved'],
        ['inventory_released', 'expired'],
      ]);
    });
  });

  describe('service API for other modules', () => {
    it('reserveMany sums the same variant twice and reserves nothing when the sum is short', async () => {
      // An order names a variant once (POST /orders refuses it twice); two lines of its one item
      // bring the same variant twice into one request.
      const { variant, location } = await createVariantWithStock(app, 5);
      const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 6 }]);
      const lines = [3, 3].map((quantity) => ({
        orderItemId: items[0].id,
        productVariantId: variant.id,
        stockLocationId: location.id,
        quantity,
      }));
      const error = await uow.run('test', () => service.reserveMany(order.id, lines)).catch((e) => e);
      expect(error).toBeInstanceOf(InsufficientStockError);
      expect((error as InsufficientStockError).extra.shortages).toEqual([
        expect.objectContaining({ orderItemId: items[0].id, requested: 3, available: 5 }),
        expect.objectContaining({ orderItemId: items[0].id, requested: 3, available: 5 }),
      ]);
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 5, quantity_reserved: 0 });
      expect(await read(() => service.listForOrder(order.id))).toEqual([]);
    });

    it('reserveMany is all or nothing across stock levels and lists every short line', async () => {
      const a = await createVariantWithStock(app, 5);
      const b = await createVariantWithStock(app, 1);
      const c = await createVariantWithStock(app, 0);
      const { order, items } = await createOrder(app, customer.user, [
        { variant: a.variant, quantity: 2 },
        { variant: b.variant, quantity: 2 },
        { variant: c.variant, quantity: 1 },
      ]);
      const lines = [a, b, c].map((x, i) => ({
        orderItemId: items[i].id,
        productVariantId: x.variant.id,
        stockLocationId: x.location.id,
        quantity: items[i].quantity,
      }));
      // Even a caller that catches the error and commits is left with nothing reserved.
      const error = await uow.run('test', async () => {
        try {
          await service.reserveMany(order.id, lines);
          return null;
        } catch (e) {
          return e;
        }
      });
      expect(error).toBeInstanceOf(InsufficientStockError);
      expect((error as InsufficientStockError).extra.shortages).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ orderItemId: items[1].id, requested: 2, available: 1 }),
          expect.objectContaining({ orderItemId: items[2].id, requested: 1, available: 0 }),
        ]),
      );
      expect((error as InsufficientStockError).extra.shortages).toHaveLength(2);
      expect(await level(a.variant, a.location)).toEqual({ quantity_on_hand: 5, quantity_reserved: 0 });
      expect(await level(b.variant, b.location)).toEqual({ quantity_on_hand: 1, quantity_reserved: 0 });

      await http(app)
        .put(`/api/v1/stock-levels/${b.variant.id}/${b.location.id}`)
        .set(admin.auth)
        .send({ quantityOnHand: 2 });
      await http(app)
        .put(`/api/v1/stock-levels/${c.variant.id}/${c.location.id}`)
        .set(admin.auth)
        .send({ quantityOnHand: 1 });
      const reservations = await uow.run('test', () =>
        service.reserveMany(order.id, lines, { expiresAt: null }),
      );
      expect(reservations.map((r) => r.quantityReserved)).toEqual([2, 2, 1]);
      expect(await level(b.variant, b.location)).toEqual({ quantity_on_hand: 2, quantity_reserved: 2 });
    });

    it('shipping takes the oldest reservations first; not enough reserved at the location is a 409', async () => {
      const { variant, location } = await createVariantWithStock(app, 10);
      const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 6 }]);
      const line = { orderItemId: items[0].id, productVariantId: variant.id, stockLocationId: location.id };
      const [first] = await uow.run('test', () => service.reserveMany(order.id, [{ ...line, quantity: 2 }]));
      const [second] = await uow.run('test', () => service.reserveMany(order.id, [{ ...line, quantity: 4 }]));
      // Every unit is held already: confirming reserves nothing more.
      await http(app).post(`/api/v1/orders/${order.id}/confirm`).set(admin.auth).send({}).expect(200);
      const parcel = async (quantity: number) => {
        const created = await http(app)
          .post(`/api/v1/orders/${order.id}/fulfillments`)
          .set(warehouse.auth)
          .send({ warehouseLocation: location.code, items: { [items[0].id]: quantity } })
          .expect(201);
        for (const status of ['picking', 'packing', 'ready_to_ship']) {
          await http(app)
            .post(`/api/v1/fulfillments/${created.body.id}/status`)
            .set(warehouse.auth)
            .send({ status })
            .expect(200);
        }
        return () =>
          http(app)
            .post(`/api/v1/fulfillments/${created.body.id}/status`)
            .set(warehouse.auth)
            .send({ status: 'shipped' });
      };
      await (await parcel(3))().expect(200);
      const after = await read(() => service.listForOrder(order.id));
      const byId = new Map(after.map((r) => [r.id, r]));
      expect(byId.get(first.id)).toMatchObject({
        quantityFulfilled: 2,
        isActive: false,
        releaseReason: 'fulfilled',
      });
      expect(byId.get(second.id)).toMatchObject({ quantityFulfilled: 1, isActive: true });
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 7, quantity_reserved: 3 });
      // The rest is no longer held anywhere: its parcel cannot ship.
      await http(app).post(`/api/v1/reservations/${second.id}/release`).set(warehouse.auth).expect(200);
      const res = await (await parcel(3))();
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        stockLocationCode: location.code,
        items: [{ orderItemId: items[0].id, requested: 3, reserved: 0, heldElsewhere: [] }],
      });
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 7, quantity_reserved: 0 });
    });

    it('reserveMany twice in one transaction: the second counts the first; the chain verifies', async () => {
      const { variant, location } = await createVariantWithStock(app, 10);
      const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 5 }]);
      const line = { orderItemId: items[0].id, productVariantId: variant.id, stockLocationId: location.id };
      const { first, second, error } = await uow.run('test', async () => {
        const [a] = await service.reserveMany(order.id, [{ ...line, quantity: 2 }]);
        const [b] = await service.reserveMany(order.id, [{ ...line, quantity: 3 }]);
        const e = await service.reserveMany(order.id, [{ ...line, quantity: 1 }]).catch((x) => x);
        // A release in the same transaction is written at flush, after the entries inserted by SQL.
        await service.release(a.id);
        return { first: a, second: b, error: e };
      });
      expect(error).toMatchObject({ status: 409 });
      const stored = await read(() => service.listForOrder(order.id));
      expect(stored.map((r) => [r.id, r.quantityReserved, r.isActive])).toEqual(
        expect.arrayContaining([
          [first.id, 2, false],
          [second.id, 3, true],
        ]),
      );
      expect(stored).toHaveLength(2);
      expect(stored.find((r) => r.id === second.id)?.reservedAt.toISOString()).toBe(
        second.reservedAt.toISOString(),
      );
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 3 });
      expect((await history(order.id)).map((e) => [e.action, e.additional_data.quantity])).toEqual([
        ['inventory_reserved', 2],
        ['inventory_reserved', 3],
        ['inventory_released', 2],
      ]);
      const verified = await read(() => app.get(HistoryVerifyService).verify(order.id));
      expect(verified).toMatchObject({ valid: true, firstBrokenEntryId: null });
    });

    it('OrdersService.lock answers the order it locks; itemLines the named items of that order, once each', async () => {
      const a = await createVariantWithStock(app, 1);
      const b = await createVariantWithStock(app, 1);
      const { order, items } = await createOrder(app, customer.user, [
        { variant: a.variant, quantity: 2 },
        { variant: b.variant, quantity: 3 },
      ]);
      const other = await createOrder(app, customer.user, [{ variant: a.variant, quantity: 1 }]);
      const orders = app.get(OrdersService);
      const answers = await uow.run('test', async () => {
        const lean = await orders.lock(order.id);
        const lines = await orders.itemLines(order.id, [
          items[1].id,
          items[0].id,
          items[1].id,
          other.items[0].id,
          'not-a-uuid',
          items[0].id.toUpperCase(),
        ]);
        const missing = await orders.lock(randomUUID()).catch((e: unknown) => e);
        return { lean, lines, missing };
      });
      expect(answers.lean).toMatchObject({
        id: order.id,
        status: 'pending',
        orderNumber: order.orderNumber,
        customerId: customer.user.id,
        totalAmount: order.totalAmount,
        amountPaid: '0.00',
      });
      // The other order's item and the malformed id are not lines of this order.
      expect([...answers.lines].sort((x, y) => x.quantity - y.quantity)).toEqual([
        { id: items[0].id, productVariantId: a.variant.id, quantity: 2, sku: a.variant.sku },
        { id: items[1].id, productVariantId: b.variant.id, quantity: 3, sku: b.variant.sku },
      ]);
      expect(answers.missing).toMatchObject({ status: 404 });
    });

    it('releaseForOrder releases every active reservation with the reason and counts them', async () => {
      const a = await createVariantWithStock(app, 5);
      const b = await createVariantWithStock(app, 5);
      const { order, items } = await createOrder(app, customer.user, [
        { variant: a.variant, quantity: 2 },
        { variant: b.variant, quantity: 3 },
      ]);
      await uow.run('test', () =>
        service.reserveMany(
          order.id,
          [a, b].map((x, i) => ({
            orderItemId: items[i].id,
            productVariantId: x.variant.id,
            stockLocationId: x.location.id,
            quantity: items[i].quantity,
          })),
        ),
      );
      const count = await uow.run('test', () => service.releaseForOrder(order.id, ReleaseReason.CANCELLED));
      expect(count).toBe(2);
      expect(await uow.run('test', () => service.releaseForOrder(order.id, ReleaseReason.CANCELLED))).toBe(0);
      expect(await level(a.variant, a.location)).toEqual({ quantity_on_hand: 5, quantity_reserved: 0 });
      expect(await level(b.variant, b.location)).toEqual({ quantity_on_hand: 5, quantity_reserved: 0 });
      const released = (await history(order.id)).filter((e) => e.action === 'inventory_released');
      expect(released.map((e) => e.additional_data.releaseReason)).toEqual(['cancelled', 'cancelled']);
    });
  });
});
