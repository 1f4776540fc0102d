import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '../../src/common/unit-of-work';
import { ProductVariant } from '../../src/catalog/product-variant.entity';
import { StockLocation } from '../../src/catalog/stock-location.entity';
import { StockLevel } from '../../src/catalog/stock-level.entity';
import { Order } from '../../src/orders/order.entity';
import { OrderItem } from '../../src/orders/order-item.entity';
import { OrderStatus } from '../../src/orders/order-status.enum';
import { User } from '../../src/identity/user.entity';
import { OrderHistoryService } from '../../src/history/order-history.service';
import { OrderHistoryAction } from '../../src/history/order-history-action.enum';
import { TestApp } from './app';

/** Small builders for test data, straight through the entities (not the HTTP API). */

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

/** An order of `customer` with its items and its `created` history entry. */
export async function createOrder(
  app: TestApp,
  customer: User,
  lines: OrderLine[],
  status: OrderStatus = OrderStatus.PENDING,
): Promise<{ order: Order; items: OrderItem[] }> {
  return app.get(UnitOfWork).run('test-order', async (em) => {
    const order = new Order(uniqueCode('ORD-T'), em.getReference(User, customer.id), 'EUR', {
      name: 'Test Customer',
      line1: '1 Test Street',
      city: 'Testville',
      postalCode: '12345',
      country: 'DE',
    });
    order.status = status;
    const items = lines.map(
      (line) =>
        new OrderItem(
          order,
          em.getReference(ProductVariant, line.variant.id),
          line.quantity,
          line.unitPrice ?? '10.00',
        ),
    );
    items.forEach((item, index) => {
      item.sku = lines[index].variant.sku;
      item.name = lines[index].variant.name;
    });
    const cents = items.reduce(
      (sum, item) => sum + Math.round(Number(item.unitPrice) * 100) * item.quantity,
      0,
    );
    order.totalAmount = (cents / 100).toFixed(2);
    em.persist([order, ...items]);
    await app.get(OrderHistoryService).record({
      order,
      action: OrderHistoryAction.CREATED,
      newStatus: status,
      description: `Order ${order.orderNumber} created`,
    });
    return { order, items };
  });
}

/** A pending order of `customer` for 1 unit of a new variant with `onHand` units at a new location. */
export async function createOneItemOrder(app: TestApp, customer: User, onHand = 10): Promise<Order> {
  const { variant } = await createVariantWithStock(app, onHand);
  return (await createOrder(app, customer, [{ variant, quantity: 1 }])).order;
}
