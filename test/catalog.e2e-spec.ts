import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import { createLocation, createOrder, createVariantWithStock, uniqueCode } from './utils/factories';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';
import { UnitOfWork } from '../src/common/unit-of-work';
import { CatalogService } from '../src/catalog/catalog.service';

describe('catalog and stock', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
  });
  afterAll(async () => {
    await app.close();
  });

  /** Holds `quantity` units through a real reservation (POST /reservations), so the counters stay consistent. */
  async function reserve(variant: ProductVariant, location: StockLocation, quantity: number) {
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity }]);
    await http(app)
      .post('/api/v1/reservations')
      .set(warehouse.auth)
      .send({
        orderId: order.id,
        orderItemId: items[0].id,
        productVariantId: variant.id,
        stockLocationId: location.id,
        quantity,
      })
      .expect(201);
  }

  describe('variants', () => {
    it('creates a variant (admin) and reads it back (staff)', async () => {
      const sku = uniqueCode('TSHIRT');
      const created = await http(app)
        .post('/api/v1/variants')
        .set(admin.auth)
        .send({ sku, name: 'T-shirt' })
        .expect(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        sku,
        name: 'T-shirt',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const read = await http(app).get(`/api/v1/variants/${created.body.id}`).set(support.auth).expect(200);
      expect(read.body).toEqual(created.body);
      const list = await http(app).get('/api/v1/variants').query({ sku }).set(warehouse.auth).expect(200);
      expect(list.body.data).toEqual([created.body]);
      expect(list.body.meta).toEqual({ page: 1, pageSize: 20, total: 1, totalPages: 1 });
    });

    it('finds variants by part of the SKU or name', async () => {
      const marker = uniqueCode('FIND').toLowerCase();
      await http(app)
        .post('/api/v1/variants')
        .set(admin.auth)
        .send({ sku: uniqueCode('A'), name: `Mug ${marker}` })
        .expect(201);
      const list = await http(app).get('/api/v1/variants').query({ q: marker }).set(admin.auth).expect(200);
      expect(list.body.data.map((v: { name: string }) => v.name)).toEqual([`Mug ${marker}`]);
    });

    it('refuses a duplicate SKU with 409', async () => {
      const sku = uniqueCode('DUP');
      await http(app).post('/api/v1/variants').set(admin.auth).send({ sku, name: 'One' }).expect(201);
      const res = await http(app)
        .post('/api/v1/variants')
        .set(admin.auth)
        .send({ sku, name: 'Two' })
        .expect(409);
      expect(res.body.code).toBe('CONFLICT');
    });

    it('validates the body and names the fields', async () => {
      const res = await http(app)
        .post('/api/v1/variants')
        .set(admin.auth)
        .send({ sku: '', name: 'x'.repeat(256), extra: 1 })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['sku', 'name', 'extra']));
    });

    it('answers 404 for an unknown variant and 400 for a malformed id', async () => {
      await http(app)
        .get('/api/v1/variants/6f1f8a1e-0000-4000-8000-000000000000')
        .set(admin.auth)
        .expect(404);
      await http(app).get('/api/v1/variants/not-a-uuid').set(admin.auth).expect(400);
    });

    it('enforces roles: only admin creates, staff read, customers get 403, no token 401', async () => {
      await http(app)
        .post('/api/v1/variants')
        .set(warehouse.auth)
        .send({ sku: uniqueCode('X'), name: 'x' })
        .expect(403);
      await http(app)
        .post('/api/v1/variants')
        .set(support.auth)
        .send({ sku: uniqueCode('X'), name: 'x' })
        .expect(403);
      await http(app).get('/api/v1/variants').set(customer.auth).expect(403);
      await http(app).get('/api/v1/variants').expect(401);
    });
  });

  describe('stock locations', () => {
    it('creates, lists, reads and deactivates a location', async () => {
      const code = uniqueCode('WH');
      const created = await http(app)
        .post('/api/v1/stock-locations')
        .set(admin.auth)
        .send({ code, name: 'Warehouse' })
        .expect(201);
      expect(created.body).toMatchObject({ code, name: 'Warehouse', isActive: true });
      await http(app).get(`/api/v1/stock-locations/${created.body.id}`).set(warehouse.auth).expect(200);
      const updated = await http(app)
        .patch(`/api/v1/stock-locations/${created.body.id}`)
        .set(admin.auth)
        .send({ isActive: false })
        .expect(200);
      expect(updated.body.isActive).toBe(false);
      const inactive = await http(app)
        .get('/api/v1/stock-locations')
        .query({ isActive: 'false', pageSize: 100 })
        .set(support.auth)
        .expect(200);
      expect(inactive.body.data.map((l: { id: string }) => l.id)).toContain(created.body.id);
      await http(app)
        .post('/api/v1/stock-locations')
        .set(admin.auth)
        .send({ code, name: 'Again' })
        .expect(409);
      await http(app)
        .post('/api/v1/stock-locations')
        .set(warehouse.auth)
        .send({ code: uniqueCode('W'), name: 'x' })
        .expect(403);
    });
  });

  describe('stock levels', () => {
    it('sets on hand, creating the stock level when missing (admin, warehouse)', async () => {
      const { variant } = await createVariantWithStock(app, 1);
      const location = await createLocation(app);
      const res = await http(app)
        .put(`/api/v1/stock-levels/${variant.id}/${location.id}`)
        .set(warehouse.auth)
        .send({ quantityOnHand: 40 })
        .expect(200);
      expect(res.body).toEqual({
        id: expect.any(String),
        productVariantId: variant.id,
        stockLocationId: location.id,
        quantityOnHand: 40,
        quantityReserved: 0,
        quantityAvailable: 40,
        updatedAt: expect.any(String),
      });
      const again = await http(app)
        .put(`/api/v1/stock-levels/${variant.id}/${location.id}`)
        .set(admin.auth)
        .send({ quantityOnHand: 7 })
        .expect(200);
      expect(again.body).toMatchObject({ id: res.body.id, quantityOnHand: 7 });
      await http(app)
        .put(`/api/v1/stock-levels/${variant.id}/${location.id}`)
        .set(support.auth)
        .send({ quantityOnHand: 7 })
        .expect(403);
    });

    it('refuses to set on hand below the reserved quantity with 409', async () => {
      const { variant, location } = await createVariantWithStock(app, 10);
      await reserve(variant, location, 6);
      const res = await http(app)
        .put(`/api/v1/stock-levels/${variant.id}/${location.id}`)
        .set(admin.auth)
        .send({ quantityOnHand: 5 })
        .expect(409);
      expect(res.body).toMatchObject({ code: 'CONFLICT', quantityReserved: 6 });
      const ok = await http(app)
        .put(`/api/v1/stock-levels/${variant.id}/${location.id}`)
        .set(admin.auth)
        .send({ quantityOnHand: 6 })
        .expect(200);
      expect(ok.body).toMatchObject({ quantityOnHand: 6, quantityReserved: 6, quantityAvailable: 0 });
    });

    it('validates the quantity and the ids', async () => {
      const { variant, location } = await createVariantWithStock(app, 1);
      const res = await http(app)
        .put(`/api/v1/stock-levels/${variant.id}/${location.id}`)
        .set(admin.auth)
        .send({ quantityOnHand: -1 })
        .expect(400);
      expect(res.body.errors[0].field).toBe('quantityOnHand');
      await http(app)
        .put(`/api/v1/stock-levels/${variant.id}/${location.id}`)
        .set(admin.auth)
        .send({ quantityOnHand: 1.5 })
        .expect(400);
      await http(app)
        .put(`/api/v1/stock-levels/${variant.id}/6f1f8a1e-0000-4000-8000-000000000000`)
        .set(admin.auth)
        .send({ quantityOnHand: 1 })
        .expect(404);
      await http(app)
        .put(`/api/v1/stock-levels/nope/${location.id}`)
        .set(admin.auth)
        .send({ quantityOnHand: 1 })
        .expect(400);
    });

    it('adjusts on hand by a delta and refuses to remove reserved units', async () => {
      const { variant, location } = await createVariantWithStock(app, 10);
      const up = await http(app)
        .post(`/api/v1/stock-levels/${variant.id}/${location.id}/adjust`)
        .set(warehouse.auth)
        .send({ delta: 5 })
        .expect(200);
      expect(up.body).toMatchObject({ quantityOnHand: 15, quantityAvailable: 15 });
      await reserve(variant, location, 12);
      await http(app)
        .post(`/api/v1/stock-levels/${variant.id}/${location.id}/adjust`)
        .set(warehouse.auth)
        .send({ delta: -4 })
        .expect(409);
      const down = await http(app)
        .post(`/api/v1/stock-levels/${variant.id}/${location.id}/adjust`)
        .set(warehouse.auth)
        .send({ delta: -3 })
        .expect(200);
      expect(down.body).toMatchObject({ quantityOnHand: 12, quantityReserved: 12, quantityAvailable: 0 });
      await http(app)
        .post(`/api/v1/stock-levels/${variant.id}/${location.id}/adjust`)
        .set(warehouse.auth)
        .send({ delta: 0 })
        .expect(400);
    });

    it('loses none of 50 concurrent stock adjustments (HTTP and service)', async () => {
      const { variant, location } = await createVariantWithStock(app, 100);
      const responses = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          http(app)
            .post(`/api/v1/stock-levels/${variant.id}/${location.id}/adjust`)
            .set(warehouse.auth)
            .send({ delta: i % 2 === 0 ? 3 : -1 }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(25).fill(200));
      const catalog = app.get(CatalogService);
      const uow = app.get(UnitOfWork);
      await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          uow.run('test-adjust', () => catalog.adjustOnHand(variant.id, location.id, i % 2 === 0 ? 2 : -1)),
        ),
      );
      // 13 × +3 − 12 × 1 over HTTP, 13 × +2 − 12 × 1 through the service
      const [row] = await sql<{ quantity_on_hand: number }>(
        app,
        'select quantity_on_hand from stock_levels where product_variant_id = ? and stock_location_id = ?',
        [variant.id, location.id],
      );
      expect(row.quantity_on_hand).toBe(100 + 13 * 3 - 12 + 13 * 2 - 12);
    });

    it('adjustOnHand creates a missing stock level for a positive delta', async () => {
      const { variant } = await createVariantWithStock(app, 0);
      const location = await createLocation(app);
      const level = await app
        .get(UnitOfWork)
        .run('test-adjust', () => app.get(CatalogService).adjustOnHand(variant.id, location.id, 4));
      expect(level).toMatchObject({ quantityOnHand: 4, quantityReserved: 0 });
    });
  });

  describe('availability', () => {
    it('sums the active locations and lists each of them', async () => {
      const a = await createLocation(app, uniqueCode('A'));
      const b = await createLocation(app, uniqueCode('B'));
      const { variant } = await createVariantWithStock(app, 10, a);
      await http(app)
        .put(`/api/v1/stock-levels/${variant.id}/${b.id}`)
        .set(admin.auth)
        .send({ quantityOnHand: 5 })
        .expect(200);
      const res = await http(app)
        .get(`/api/v1/inventory/variants/${variant.id}/availability`)
        .set(support.auth)
        .expect(200);
      expect(res.body).toEqual({
        variantId: variant.id,
        onHand: 15,
        reserved: 0,
        available: 15,
        locations: [
          { stockLocationId: a.id, code: a.code, onHand: 10, reserved: 0, available: 10 },
          { stockLocationId: b.id, code: b.code, onHand: 5, reserved: 0, available: 5 },
        ],
      });
      await http(app)
        .patch(`/api/v1/stock-locations/${b.id}`)
        .set(admin.auth)
        .send({ isActive: false })
        .expect(200);
      const after = await http(app)
        .get(`/api/v1/inventory/variants/${variant.id}/availability`)
        .set(warehouse.auth)
        .expect(200);
      expect(after.body).toMatchObject({ onHand: 10, available: 10, locations: [{ stockLocationId: a.id }] });
      expect(after.body.locations).toHaveLength(1);
      await http(app)
        .get(`/api/v1/inventory/variants/${variant.id}/availability`)
        .set(customer.auth)
        .expect(403);
      await http(app)
        .get('/api/v1/inventory/variants/6f1f8a1e-0000-4000-8000-000000000000/availability')
        .set(admin.auth)
        .expect(404);
    });
  });
});
