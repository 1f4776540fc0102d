import { INestApplication } from '@nestjs/common';
import { UnitOfWork } from '../../common/unit-of-work';
import { lockDemoOrders } from './demo-data.repository';
import { Actor } from '../../common/decorators';
import { CatalogService } from '../../catalog/catalog.service';
import { ListVariantsQueryDto } from '../../catalog/dto/variant.dto';
import { UsersService } from '../../identity/users.service';
import { UserRole } from '../../identity/user-role.enum';
import { NotesService } from '../../notes/notes.service';
import { CreateNoteDto } from '../../notes/dto/note.dto';
import { FulfillmentService } from '../../fulfillment/fulfillment.service';
import { FulfillmentStatus } from '../../fulfillment/fulfillment-status.enum';
import { OrderPlacementService } from '../../orders/order-placement.service';
import { OrdersService } from '../../orders/orders.service';
import { ReservationsService } from '../../reservations/reservations.service';
import { OrderConfirmationService } from '../../order-management/order-confirmation.service';
import { OrderPaymentsService } from '../../order-management/order-payments.service';
import { OrderCancellationService } from '../../order-management/order-cancellation.service';
import { OrderDeliveryService } from '../../order-management/order-delivery.service';
import { OrderReturnsService } from '../../order-management/order-returns.service';
import { PaymentOutcome } from '../../order-management/dto/order-actions.dto';

/** How far a demo order goes through the lifecycle. */
type Stage =
  | 'pending'
  | 'confirmed'
  | 'processing'
  | 'shipped'
  | 'delivered'
  | 'cancelled'
  | 'return_requested'
  | 'returned'
  | 'refunded';

interface DemoOrder {
  stage: Stage;
  lines: [sku: string, quantity: number, unitPrice: string][];
  notes?: { note: string; isInternal: boolean }[];
}

const DEMO_ORDERS: DemoOrder[] = [
  {
    stage: 'pending',
    lines: [
      ['TSHIRT-BLK-M', 1, '19.99'],
      ['MUG-WHT-350', 2, '8.50'],
    ],
    notes: [{ note: 'Customer asked whether gift wrapping is possible.', isInternal: true }],
  },
  { stage: 'confirmed', lines: [['HOODIE-GRY-M', 1, '49.00']] },
  {
    stage: 'processing',
    lines: [
      ['TSHIRT-BLK-L', 2, '19.99'],
      ['CAP-NAVY', 1, '14.90'],
    ],
    notes: [{ note: 'The cap has shipped; the T-shirts follow in a second parcel.', isInternal: false }],
  },
  { stage: 'shipped', lines: [['SOCKS-3PK', 3, '9.95']] },
  {
    stage: 'delivered',
    lines: [['MUG-WHT-350', 1, '8.50']],
    notes: [{ note: 'Delivered to the front desk.', isInternal: false }],
  },
  { stage: 'cancelled', lines: [['HOODIE-GRY-M', 2, '49.00']] },
  { stage: 'return_requested', lines: [['TSHIRT-BLK-M', 2, '19.99']] },
  { stage: 'returned', lines: [['CAP-NAVY', 1, '14.90']] },
  {
    stage: 'refunded',
    lines: [['SOCKS-3PK', 1, '9.95']],
    notes: [{ note: 'Refund approved after the return was inspected.', isInternal: true }],
  },
];

const ORDER: Stage[] = ['pending', 'confirmed', 'processing', 'shipped', 'delivered'];
const reaches = (stage: Stage, step: Stage) =>
  stage === 'cancelled'
    ? step === 'confirmed'
    : ['return_requested', 'returned', 'refunded'].includes(stage)
      ? true
      : ORDER.indexOf(stage) >= ORDER.indexOf(step);

const ADDRESS = {
  name: 'Casey Customer',
  line1: '221B Baker Street',
  city: 'London',
  postalCode: 'NW1 6XE',
  country: 'GB',
};

/**
 * Demo orders in every status, driven through the real services like requests would be: each step
 * its own unit of work (a transaction, flushed at its end), performed by the system. Idempotent: the
 * first step re-checks, under an advisory lock, that the demo customer has no orders yet.
 */
export async function seedDemoOrders(
  app: INestApplication,
  emails: { customer: string; support: string },
): Promise<number> {
  const uow = app.get(UnitOfWork);
  const users = app.get(UsersService);
  const catalog = app.get(CatalogService);
  const orders = app.get(OrdersService);
  const placement = app.get(OrderPlacementService);
  const confirmation = app.get(OrderConfirmationService);
  const payments = app.get(OrderPaymentsService);
  const cancellation = app.get(OrderCancellationService);
  const delivery = app.get(OrderDeliveryService);
  const returns = app.get(OrderReturnsService);
  const fulfillment = app.get(FulfillmentService);
  const reservations = app.get(ReservationsService);
  const notes = app.get(NotesService);

  const setup = await uow.read('demo-orders-check', async () => {
    const customer = await users.findByEmail(emails.customer);
    const support = await users.findByEmail(emails.support);
    if (!customer || !support) return null;
    if ((await orders.listForCustomer(customer.id, { page: 1, pageSize: 1 })).meta.total > 0) return null;
    const variantIds = new Map<string, string>();
    for (const sku of new Set(DEMO_ORDERS.flatMap((o) => o.lines.map(([lineSku]) => lineSku)))) {
      const [variant] = (await catalog.listVariants(Object.assign(new ListVariantsQueryDto(), { sku }))).data;
      if (!variant) return null; // not the demo catalogue: leave it alone
      variantIds.set(sku, variant.id);
    }
    return {
      customerId: customer.id,
      author: { id: support.id, email: support.email, role: UserRole.SUPPORT } as Actor,
      variantIds,
    };
  });
  if (!setup) return 0;
  const step = <T>(work: () => Promise<T>) => uow.run('demo-orders', work);

  // All orders in one transaction that first re-checks, under an advisory lock, that there are none:
  // a second instance starting at the same time waits here, then finds them and stops.
  const orderIds = await uow.run('demo-orders', async (em) => {
    await lockDemoOrders(em);
    if ((await orders.listForCustomer(setup.customerId, { page: 1, pageSize: 1 })).meta.total > 0) return [];
    const ids: string[] = [];
    for (const [index, demo] of DEMO_ORDERS.entries()) {
      const { order } = await placement.create({
        customerId: setup.customerId,
        currency: 'EUR',
        items: demo.lines.map(([sku, quantity, unitPrice]) => ({
          variantId: setup.variantIds.get(sku)!,
          quantity,
          unitPrice,
        })),
        shippingAddress: ADDRESS,
      });
      // A minute apart, so that lists show them in a stable order.
      order.createdAt = new Date(Date.now() - (DEMO_ORDERS.length - index) * 60_000);
      ids.push(order.id);
    }
    return ids;
  });
  // The orders are independent: their lifecycles run side by side (stock levels are guarded).
  await Promise.all(orderIds.map((id, index) => driveDemoOrder(id, DEMO_ORDERS[index])));
  return orderIds.length;

  async function driveDemoOrder(orderId: string, demo: DemoOrder): Promise<void> {
    for (const note of demo.notes ?? []) {
      await step(() => notes.create(orderId, Object.assign(new CreateNoteDto(), note), setup!.author));
    }
    if (!reaches(demo.stage, 'confirmed')) return;
    await step(() => confirmation.confirm(orderId));
    if (demo.stage === 'cancelled') {
      await step(() => cancellation.cancel(orderId, { reason: 'Customer found a better size' }));
      return;
    }
    const total = (await uow.read('demo-orders', () => orders.get(orderId))).totalAmount;
    await step(() =>
      payments.recordPayment(orderId, {
        outcome: PaymentOutcome.RECEIVED,
        amount: total,
        reference: `DEMO-${orderId.slice(0, 8)}`,
      }),
    );
    if (!reaches(demo.stage, 'processing')) return;

    const items = await uow.read('demo-orders', () => orders.items(orderId));
    // Processing: the last item ships first, the rest is still being picked. Otherwise one parcel.
    const parcels =
      demo.stage === 'processing' && items.length > 1 ? [items.slice(-1), items.slice(0, -1)] : [items];
    // Each parcel ships from where its first item is held (the confirmation placed it).
    const heldAt = await uow.read('demo-orders', async () => {
      const codes = new Map<string, string>();
      for (const r of await reservations.listForOrder(orderId)) {
        codes.set(r.orderItem.id, (await catalog.getLocation(r.stockLocation.id)).code);
      }
      return codes;
    });
    const shipped: string[] = [];
    for (const [index, parcel] of parcels.entries()) {
      const parcelFulfillment = await step(() =>
        fulfillment.create(orderId, {
          warehouseLocation: heldAt.get(parcel[0].id) ?? 'WH-A',
          items: Object.fromEntries(parcel.map((item) => [item.id, item.quantity])),
        }),
      );
      const moves =
        demo.stage === 'processing' && index > 0
          ? [FulfillmentStatus.PICKING]
          : [
              FulfillmentStatus.PICKING,
              FulfillmentStatus.PACKING,
              FulfillmentStatus.READY_TO_SHIP,
              FulfillmentStatus.SHIPPED,
            ];
      for (const to of moves) await step(() => fulfillment.changeStatus(parcelFulfillment.id, to));
      if (moves.includes(FulfillmentStatus.SHIPPED)) shipped.push(parcelFulfillment.id);
    }
    if (!reaches(demo.stage, 'delivered')) return;
    await step(() => delivery.deliver(orderId));
    for (const id of shipped) await step(() => fulfillment.changeStatus(id, FulfillmentStatus.FULFILLED));
    if (demo.stage === 'delivered') return;

    const first = items[0];
    await step(() =>
      returns.requestReturnAsCustomer(orderId, setup!.customerId, {
        reason: 'Does not fit',
        items: [{ orderItemId: first.id, quantity: 1 }],
      }),
    );
    if (demo.stage === 'return_requested') return;
    await step(() =>
      returns.receiveReturn(orderId, { items: [{ orderItemId: first.id, quantity: 1, restock: true }] }),
    );
    if (demo.stage === 'returned') return;
    await step(() => payments.refund(orderId, { amount: total, reason: 'Returned in full' }));
  }
}
