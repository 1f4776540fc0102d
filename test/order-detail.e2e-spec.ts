import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, createUsersOfEveryRole, http, TestApp, TestUser } from './utils/app';
import { createLocation, createVariantWithStock } from './utils/factories';
import { placeOrder, PlacedOrder } from './utils/orders';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';
import { UserRole } from '../src/identity/user-role.enum';

/**
 * GET /orders/:id (staff) and GET /me/orders/:id (the customer) through every status. Each action
 * answers the order as it left it, which is what the GET shows right after; the customer's view is
 * the staff view without anything internal (reservation figures, cancelled fulfillments, ids of
 * staff).
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
   * The GET answers, staff and customer. `answer`: what the action just taken answered, which must
   * be the order as the GET shows it now (its own changes included).
   */
  async function detail(orderId: string, answer?: { customer?: object; staff?: object }) {
    const res = await http(app).get(`/api/v1/orders/${orderId}`).set(support.auth).expect(200);
    const mine = await http(app).get(`/api/v1/me/orders/${orderId}`).set(customer.auth).expect(200);
    if (answer?.staff) expect(answer.staff).toEqual(res.body);
    if (answer?.customer) expect(answer.customer).toEqual(mine.body);
    const staff = res.body;
    type Item = {
      id: string;
      sku: string;
      name: string;
      quantityReserved: number;
      quantityFulfilled: number;
    };
    type Fulfillment = {
      fulfillmentNumber: string;
      status: string;
      shippedAt: string | null;
      items: Record<string, number>;
    };
    expect(mine.body).toEqual({
      id: staff.id,
      orderNumber: staff.orderNumber,
      status: staff.status,
      currency: staff.currency,
      totalAmount: staff.totalAmount,
      amountPaid: staff.amountPaid,
      amountRefunded: staff.amountRefunded,
      shippingAddress: staff.shippingAddress,
      createdAt: staff.createdAt,
      updatedAt: staff.updatedAt,
      items: staff.items.map(
        ({
          quantityReserved,
          quantityFulfilled,
          quantityShipped,
          ...item
        }: Item & { quantityShipped: number }) => {
          expect([quantityReserved, quantityFulfilled, quantityShipped].every(Number.isInteger)).toBe(true);
          return item;
        },
      ),
      shipments: staff.fulfillments
        .filter((f: Fulfillment) => f.status !== 'cancelled')
        .map((f: Fulfillment) => ({
          fulfillmentNumber: f.fulfillmentNumber,
          status: f.status,
          shippedAt: f.shippedAt,
          items: staff.items
            .filter((item: Item) => (f.items[item.id] ?? 0) > 0)
            .map((item: Item) => ({
              orderItemId: item.id,
              sku: item.sku,
              name: item.name,
              quantity: f.items[item.id],
            })),
        })),
    });
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
    const confirmed = await post(`/orders/${order.id}/confirm`, support).expect(200);
    expect((await detail(order.id, { staff: confirmed.body })).reservations).toEqual({
      active: 2,
      unitsReserved: 6,
      unitsFulfilled: 0,
    });

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
    const paid = await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: '60.00',
      reference: 'PSP-1',
    }).expect(200);
    await detail(order.id, { staff: paid.body });
    const delivered = await post(`/orders/${order.id}/deliver`, warehouse).expect(200);
    expect((await detail(order.id, { staff: delivered.body })).reservations).toEqual({
      active: 0,
      unitsReserved: 0,
      unitsFulfilled: 6,
    });
    // The customer asks for the return themselves: their answer is their view of the order.
    const requested = await post(`/me/orders/${order.id}/return-request`, customer, {
      reason: 'Too big',
      items: [{ orderItemId: itemX, quantity: 2 }],
    }).expect(200);
    expect(requested.body.status).toBe('return_requested');
    await detail(order.id, { customer: requested.body });
    const received = await post(`/orders/${order.id}/returns`, warehouse, {
      items: [{ orderItemId: itemX, quantity: 2, restock: true }],
    }).expect(200);
    const returned = await detail(order.id, { staff: received.body });
    expect(returned.items.map((i: { quantityReturned: number }) => i.quantityReturned)).toEqual([2, 0]);
    const refunded = await post(`/orders/${order.id}/refunds`, admin, {
      amount: '10.00',
      reason: 'Returned',
    }).expect(200);
    expect((await detail(order.id, { staff: refunded.body })).amountRefunded).toBe('10.00');
  });

  it('a cancelled order: reservations released, open fulfillment cancelled', async () => {
    const [x] = await variants(5);
    const order = await placeOrder(app, support, customer.user, [{ variant: x, quantity: 2 }]);
    await post(`/orders/${order.id}/confirm`, support).expect(200);
    await fulfil(order, { [order.items[0].id]: 2 }, 'picking');
    const cancelled = await post(`/orders/${order.id}/cancel`, support, { reason: 'Changed my mind' }).expect(
      200,
    );
    const body = await detail(order.id, { staff: cancelled.body });
    expect(body).toMatchObject({
      status: 'cancelled',
      reservations: { active: 0, unitsReserved: 0, unitsFulfilled: 0 },
      fulfillments: [expect.objectContaining({ status: 'cancelled' })],
      // Nothing was paid, so nothing can be refunded.
      allowedActions: [],
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
