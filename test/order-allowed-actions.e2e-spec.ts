import { createTestApp, createUsersOfEveryRole, http, TestApp, TestUser } from './utils/app';
import { createVariantWithStock } from './utils/factories';
import { placeOrder, SHIPPING_ADDRESS } from './utils/orders';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';
import { OrderAction } from '../src/order-management/order-actions';
import { fromCents, toCents } from '../src/orders/money';

interface Detail {
  id: string;
  status: string;
  totalAmount: string;
  amountPaid: string;
  amountRefunded: string;
  items: { id: string; quantity: number; quantityShipped: number; quantityReturned: number }[];
  fulfillments: { status: string; items: Record<string, number> }[];
  allowedActions: string[];
}

/**
 * `allowedActions` lists exactly what the order accepts: for orders walked (through the API) into
 * many states, every listed action succeeds and every other one is refused with 409, changing nothing.
 */
describe('allowedActions matches what is accepted (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let home: StockLocation;
  let x: ProductVariant;
  let y: ProductVariant;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    const created = await createVariantWithStock(app, 10_000);
    x = created.variant;
    home = created.location;
    y = (await createVariantWithStock(app, 10_000, home)).variant;
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, user: TestUser, body: object = {}) =>
    http(app).post(`/api/v1${path}`).set(user.auth).send(body);

  const read = async (id: string): Promise<Detail> =>
    (await http(app).get(`/api/v1/orders/${id}`).set(support.auth).expect(200)).body;

  // Steps, each through the route a user would take.
  const confirm = (id: string) => post(`/orders/${id}/confirm`, support).expect(200);
  const pay = (id: string, amount: string) =>
    post(`/orders/${id}/payments`, support, { outcome: 'received', amount, reference: 'PSP' }).expect(200);
  const fulfil = async (id: string, items: Record<string, number>) =>
    (await post(`/orders/${id}/fulfillments`, warehouse, { warehouseLocation: home.code, items }).expect(201))
      .body.id as string;
  const ship = async (fulfillmentId: string) => {
    for (const status of ['picking', 'packing', 'ready_to_ship', 'shipped']) {
      await post(`/fulfillments/${fulfillmentId}/status`, warehouse, { status }).expect(200);
    }
  };
  const deliver = (id: string) => post(`/orders/${id}/deliver`, warehouse).expect(200);
  const returnUnits = async (id: string, orderItemId: string, quantity: number) => {
    await post(`/orders/${id}/return-request`, support, {
      reason: 'r',
      items: [{ orderItemId, quantity }],
    }).expect(200);
    await post(`/orders/${id}/returns`, warehouse, {
      items: [{ orderItemId, quantity, restock: false }],
    }).expect(200);
  };

  /** 2 × X at 5.00 and 1 × Y at 3.00: 13.00, two parcels (X, then Y). */
  const place = async (unitPrice?: string) => {
    const order = await placeOrder(app, support, customer.user, [
      { variant: x, quantity: 2, unitPrice: unitPrice ?? '5.00' },
      { variant: y, quantity: 1, unitPrice: unitPrice ?? '3.00' },
    ]);
    const [ix, iy] = order.items.map((i) => i.id);
    return { id: order.id, ix, iy };
  };
  const shippedBoth = async (paid: boolean) => {
    const o = await place();
    await confirm(o.id);
    if (paid) await pay(o.id, '13.00');
    await ship(await fulfil(o.id, { [o.ix]: 2 }));
    await ship(await fulfil(o.id, { [o.iy]: 1 }));
    return o;
  };
  const delivered = async (paid: boolean) => {
    const o = await shippedBoth(paid);
    await deliver(o.id);
    return o;
  };

  /** Each state: how to reach it, and what it must list. */
  const STATES: [string, () => Promise<{ id: string }>, string[]][] = [
    ['pending, unpaid', () => place(), ['edit', 'confirm', 'payment', 'cancel']],
    [
      'pending, paid in full',
      async () => {
        const o = await place();
        await pay(o.id, '13.00');
        return o;
      },
      ['edit', 'confirm', 'cancel'],
    ],
    ['pending, total 0.00', () => place('0.00'), ['edit', 'confirm', 'cancel']],
    [
      'confirmed',
      async () => {
        const o = await place();
        await confirm(o.id);
        return o;
      },
      ['payment', 'fulfil', 'cancel'],
    ],
    [
      'confirmed, every unit in a fulfillment',
      async () => {
        const o = await place();
        await confirm(o.id);
        await fulfil(o.id, { [o.ix]: 2, [o.iy]: 1 });
        return o;
      },
      ['payment', 'cancel'],
    ],
    [
      'processing, one of two parcels shipped, the other not yet created',
      async () => {
        const o = await place();
        await confirm(o.id);
        await ship(await fulfil(o.id, { [o.ix]: 2 }));
        return o;
      },
      ['payment', 'fulfil'],
    ],
    [
      'processing, one of two parcels shipped, the other pending, paid in full',
      async () => {
        const o = await place();
        await confirm(o.id);
        await pay(o.id, '13.00');
        await ship(await fulfil(o.id, { [o.ix]: 2 }));
        await fulfil(o.id, { [o.iy]: 1 });
        return o;
      },
      [],
    ],
    ['shipped', () => shippedBoth(false), ['payment', 'deliver']],
    ['delivered, unpaid', () => delivered(false), ['payment', 'return-request']],
    ['delivered, paid in full', () => delivered(true), ['return-request', 'refund']],
    [
      'return requested',
      async () => {
        const o = await delivered(true);
        await post(`/orders/${o.id}/return-request`, support, {
          reason: 'r',
          items: [{ orderItemId: o.ix, quantity: 1 }],
        }).expect(200);
        return o;
      },
      ['receive-return'],
    ],
    [
      'delivered again after a partial return, partly refunded',
      async () => {
        const o = await delivered(true);
        await returnUnits(o.id, o.ix, 1);
        await post(`/orders/${o.id}/refunds`, admin, { amount: '5.00', reason: 'r' }).expect(200);
        return o;
      },
      ['return-request', 'refund'],
    ],
    [
      'returned, unpaid',
      async () => {
        const o = await delivered(false);
        await returnUnits(o.id, o.ix, 2);
        await returnUnits(o.id, o.iy, 1);
        return o;
      },
      [],
    ],
    [
      'returned, paid',
      async () => {
        const o = await delivered(true);
        await returnUnits(o.id, o.ix, 2);
        await returnUnits(o.id, o.iy, 1);
        return o;
      },
      ['refund'],
    ],
    [
      'cancelled, unpaid',
      async () => {
        const o = await place();
        await post(`/orders/${o.id}/cancel`, support, { reason: 'r' }).expect(200);
        return o;
      },
      [],
    ],
    [
      'cancelled, partly paid',
      async () => {
        const o = await place();
        await confirm(o.id);
        await pay(o.id, '4.00');
        await post(`/orders/${o.id}/cancel`, support, { reason: 'r' }).expect(200);
        return o;
      },
      ['refund'],
    ],
    [
      'refunded',
      async () => {
        const o = await delivered(true);
        await post(`/orders/${o.id}/refunds`, admin, { amount: '13.00', reason: 'r' }).expect(200);
        return o;
      },
      [],
    ],
  ];

  /** The most acceptable request for each action given the order as read. */
  function attempt(action: OrderAction, order: Detail) {
    const atLeastACent = (cents: number) => fromCents(Math.max(cents, 1));
    const committed = (itemId: string) =>
      order.fulfillments
        .filter((f) => f.status !== 'cancelled')
        .reduce((sum, f) => sum + (f.items[itemId] ?? 0), 0);
    const toFulfil = order.items.find((i) => i.quantity > committed(i.id)) ?? order.items[0];
    const returnable = order.items.find((i) => i.quantityShipped > i.quantityReturned) ?? order.items[0];
    switch (action) {
      case OrderAction.EDIT:
        return http(app)
          .patch(`/api/v1/orders/${order.id}`)
          .set(support.auth)
          .send({ shippingAddress: { ...SHIPPING_ADDRESS, line1: '2 Other Street' } });
      case OrderAction.CONFIRM:
        return post(`/orders/${order.id}/confirm`, support);
      case OrderAction.PAYMENT:
        return post(`/orders/${order.id}/payments`, support, {
          outcome: 'received',
          amount: atLeastACent(toCents(order.totalAmount) - toCents(order.amountPaid)),
          reference: 'PSP-PROBE',
        });
      case OrderAction.FULFIL:
        return post(`/orders/${order.id}/fulfillments`, warehouse, {
          warehouseLocation: home.code,
          items: { [toFulfil.id]: Math.max(toFulfil.quantity - committed(toFulfil.id), 1) },
        });
      case OrderAction.CANCEL:
        return post(`/orders/${order.id}/cancel`, support, { reason: 'probe' });
      case OrderAction.DELIVER:
        return post(`/orders/${order.id}/deliver`, warehouse);
      case OrderAction.REQUEST_RETURN:
        return post(`/orders/${order.id}/return-request`, support, {
          reason: 'probe',
          items: [{ orderItemId: returnable.id, quantity: 1 }],
        });
      case OrderAction.RECEIVE_RETURN:
        return post(`/orders/${order.id}/returns`, warehouse, {
          items: [{ orderItemId: returnable.id, quantity: 1, restock: false }],
        });
      case OrderAction.REFUND:
        return post(`/orders/${order.id}/refunds`, admin, {
          amount: atLeastACent(toCents(order.amountPaid) - toCents(order.amountRefunded)),
          reason: 'probe',
        });
    }
  }

  it.each(STATES)('%s: lists exactly what it accepts', async (_, reach, expected) => {
    const order = await read((await reach()).id);
    expect(order.allowedActions).toEqual(expected);

    // Every other action is refused and changes nothing.
    for (const action of Object.values(OrderAction).filter((a) => !expected.includes(a))) {
      const res = await attempt(action, order);
      expect([action, res.status]).toEqual([action, 409]);
    }
    expect(await read(order.id)).toEqual(order);

    // Every listed action is accepted, each on an order of its own in the same state.
    for (const action of expected as OrderAction[]) {
      const fresh = await read((await reach()).id);
      const res = await attempt(action, fresh);
      expect([action, res.status]).toEqual([action, action === OrderAction.FULFIL ? 201 : 200]);
    }
  });
});
