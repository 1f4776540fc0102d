import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, createUsersOfEveryRole, http, TestApp, TestUser } from './utils/app';
import { createLocation, createVariantWithStock } from './utils/factories';
import { placeOrder, PlacedOrder } from './utils/orders';
import { UnitOfWork } from '../src/common/unit-of-work';
import { OrdersService } from '../src/orders/orders.service';
import { OrderDetailsService } from '../src/order-management/order-details.service';
import { toCustomerOrderDetailResponse } from '../src/order-management/order-views';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';
import { UserRole } from '../src/identity/user-role.enum';

/**
 * GET /orders/:id and GET /me/orders/:id read rows (OrderDetailsService.get, getForCustomer); every
 * action answers from the entities of its unit of work (OrderDetailsService.describe, the customer's
 * return request toCustomerOrderDetailResponse). Both must give the same answer, byte for byte.
 */
describe('order detail (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let wh: StockLocation;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    wh = await createLocation(app);
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, user: TestUser, body: object = {}) =>
    http(app).post(`/api/v1${path}`).set(user.auth).send(body);

  /**
   * The GET answers (staff and customer), each checked against the entity-based answer built in a
   * fresh unit of work.
   */
  async function detail(orderId: string) {
    const res = await http(app).get(`/api/v1/orders/${orderId}`).set(support.auth).expect(200);
    const mine = await http(app).get(`/api/v1/me/orders/${orderId}`).set(customer.auth).expect(200);
    const [staffView, customerView] = await app.get(UnitOfWork).read('test', async () => {
      const orders = app.get(OrdersService);
      const details = app.get(OrderDetailsService);
      const order = await orders.getForCustomer(orderId, customer.user.id);
      const items = await orders.items(orderId);
      return [
        await details.describe(order),
        toCustomerOrderDetailResponse(order, items, await details.fulfillmentsOf(orderId)),
      ];
    });
    expect(res.body).toEqual(staffView);
    expect(res.text).toBe(JSON.stringify(staffView));
    expect(mine.body).toEqual(customerView);
    expect(mine.text).toBe(JSON.stringify(customerView));
    return res.body;
  }

  async function variants(...onHand: number[]): Promise<ProductVariant[]> {
    return Promise.all(onHand.map(async (n) => (await createVariantWithStock(app, n, wh)).variant));
  }

  async function fulfil(order: PlacedOrder, items: Record<string, number>, ...statuses: string[]) {
    const { body } = await post(`/orders/${order.id}/fulfillments`, warehouse, {
      warehouseLocation: wh.code,
      items,
    }).expect(201);
    for (const status of statuses)
      await post(`/fulfillments/${body.id}/status`, warehouse, { status }).expect(200);
    return body.id as string;
  }

  it('a pending order with every address field and money to normalise, no reservations', async () => {
    const [x, y] = await variants(5, 5);
    const { body: order } = await post('/orders', support, {
      customerId: customer.user.id,
      currency: 'EUR',
      items: [
        { variantId: x.id, quantity: 3, unitPrice: '7.5' },
        { variantId: y.id, quantity: 1, unitPrice: 1234567.89 },
      ],
      shippingAddress: {
        name: 'Jane Doe',
        line1: '1 Main Street',
        line2: 'Floor 3',
        city: 'Berlin',
        postalCode: '10115',
        region: 'BE',
        country: 'DE',
        phone: '+49 30 123456',
      },
    }).expect(201);
    const body = await detail(order.id);
    expect(body).toMatchObject({
      status: 'pending',
      totalAmount: '1234590.39',
      shippingAddress: { line2: 'Floor 3', region: 'BE', phone: '+49 30 123456' },
      reservations: { active: 0, unitsReserved: 0, unitsFulfilled: 0 },
      fulfillments: [],
      allowedActions: ['edit', 'confirm', 'payment', 'cancel'],
    });
    expect(body.items.map((i: { lineTotal: string }) => i.lineTotal)).toEqual(['22.50', '1234567.89']);
  });

  it('a pending order with an active and a released reservation', async () => {
    const [x] = await variants(5);
    const order = await placeOrder(app, support, customer.user, [{ variant: x, quantity: 3 }]);
    const reserve = (quantity: number) =>
      post('/reservations', admin, {
        orderId: order.id,
        orderItemId: order.items[0].id,
        productVariantId: x.id,
        stockLocationId: wh.id,
        quantity,
      }).expect(201);
    const released = await reserve(1);
    await post(`/reservations/${released.body.id}/release`, admin).expect(200);
    await reserve(2);
    const body = await detail(order.id);
    expect(body.reservations).toEqual({ active: 1, unitsReserved: 2, unitsFulfilled: 0 });
  });

  it('confirmed, processing (partly shipped), shipped, delivered and returned', async () => {
    const [x, y] = await variants(10, 10);
    const order = await placeOrder(app, support, customer.user, [
      { variant: x, quantity: 4 },
      { variant: y, quantity: 2 },
    ]);
    const [itemX, itemY] = order.items.map((i) => i.id);
    await post(`/orders/${order.id}/confirm`, support).expect(200);
    expect((await detail(order.id)).reservations).toEqual({ active: 2, unitsReserved: 6, unitsFulfilled: 0 });

    // An assigned open fulfillment, a cancelled one and a shipped one.
    const open = await fulfil(order, { [itemY]: 2 });
    await post(`/fulfillments/${open}/assign`, warehouse, { assignedToId: warehouse.user.id }).expect(200);
    await fulfil(order, { [itemX]: 1 }, 'cancelled');
    await fulfil(order, { [itemX]: 3 }, 'picking', 'packing', 'ready_to_ship', 'shipped', 'fulfilled');
    const processing = await detail(order.id);
    expect(processing).toMatchObject({
      status: 'processing',
      reservations: { active: 2, unitsReserved: 3, unitsFulfilled: 3 },
    });
    expect(processing.fulfillments.map((f: { status: string }) => f.status)).toEqual([
      'pending',
      'cancelled',
      'fulfilled',
    ]);
    expect(processing.fulfillments[0].assignedToId).toBe(warehouse.user.id);
    expect(processing.items.map((i: { quantityShipped: number }) => i.quantityShipped)).toEqual([3, 0]);

    await fulfil(order, { [itemX]: 1 }, 'picking', 'packing', 'ready_to_ship', 'shipped');
    await post(`/fulfillments/${open}/status`, warehouse, { status: 'picking' }).expect(200);
    for (const status of ['packing', 'ready_to_ship', 'shipped']) {
      await post(`/fulfillments/${open}/status`, warehouse, { status }).expect(200);
    }
    expect((await detail(order.id)).status).toBe('shipped');
    await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: '60.00',
      reference: 'PSP-1',
    }).expect(200);
    await post(`/orders/${order.id}/deliver`, warehouse).expect(200);
    expect((await detail(order.id)).reservations).toEqual({ active: 0, unitsReserved: 0, unitsFulfilled: 6 });
    await post(`/orders/${order.id}/return-request`, support, {
      reason: 'Too big',
      items: [{ orderItemId: itemX, quantity: 2 }],
    }).expect(200);
    await detail(order.id);
    await post(`/orders/${order.id}/returns`, warehouse, {
      items: [{ orderItemId: itemX, quantity: 2, restock: true }],
    }).expect(200);
    const returned = await detail(order.id);
    expect(returned.items.map((i: { quantityReturned: number }) => i.quantityReturned)).toEqual([2, 0]);
    await post(`/orders/${order.id}/refunds`, admin, { amount: '10.00', reason: 'Returned' }).expect(200);
    expect((await detail(order.id)).amountRefunded).toBe('10.00');
  });

  it('a cancelled order: reservations released, open fulfillment cancelled', async () => {
    const [x] = await variants(5);
    const order = await placeOrder(app, support, customer.user, [{ variant: x, quantity: 2 }]);
    await post(`/orders/${order.id}/confirm`, support).expect(200);
    await fulfil(order, { [order.items[0].id]: 2 }, 'picking');
    await post(`/orders/${order.id}/cancel`, support, { reason: 'Changed my mind' }).expect(200);
    const body = await detail(order.id);
    expect(body).toMatchObject({
      status: 'cancelled',
      reservations: { active: 0, unitsReserved: 0, unitsFulfilled: 0 },
      fulfillments: [expect.objectContaining({ status: 'cancelled' })],
      allowedActions: ['refund'],
    });
  });

  it('an unknown order is a 404, and so is another customer’s order on /me', async () => {
    const id = randomUUID();
    const res = await http(app).get(`/api/v1/orders/${id}`).set(support.auth).expect(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', detail: `Order ${id} was not found` });
    const mine = await http(app).get(`/api/v1/me/orders/${id}`).set(customer.auth).expect(404);
    expect(mine.body).toMatchObject({ code: 'NOT_FOUND', detail: `Order ${id} was not found` });

    const [x] = await variants(1);
    const order = await placeOrder(app, support, customer.user, [{ variant: x, quantity: 1 }]);
    const other = await createUser(app, UserRole.CUSTOMER);
    const theirs = await http(app).get(`/api/v1/me/orders/${order.id}`).set(other.auth).expect(404);
    expect(theirs.body).toEqual({
      ...mine.body,
      detail: `Order ${order.id} was not found`,
      instance: `/api/v1/me/orders/${order.id}`,
      requestId: expect.any(String),
    });
  });
});
