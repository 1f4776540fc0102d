import { User } from '../../src/identity/user.entity';
import { http, TestApp, TestUser } from './app';
import { OrderLine } from './factories';

/** A valid shipping address for POST /orders (required fields only). */
export const SHIPPING_ADDRESS = {
  name: 'Jane Doe',
  line1: '1 Main Street',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
};

/** What the tests read of a created order; the response has every OrderResponse field. */
export interface PlacedOrder {
  id: string;
  totalAmount: string;
  items: { id: string; quantity: number }[];
}

/**
 * Creates an order through the API (POST /orders as `staff`, expects 201): for `customer`, in EUR,
 * to SHIPPING_ADDRESS; a line without a unitPrice costs `unitPrice`.
 */
export async function placeOrder(
  app: TestApp,
  staff: TestUser,
  customer: User,
  lines: OrderLine[],
  unitPrice = '10.00',
): Promise<PlacedOrder> {
  const res = await http(app)
    .post('/api/v1/orders')
    .set(staff.auth)
    .send({
      customerId: customer.id,
      currency: 'EUR',
      items: lines.map((line) => ({
        variantId: line.variant.id,
        quantity: line.quantity,
        unitPrice: line.unitPrice ?? unitPrice,
      })),
      shippingAddress: SHIPPING_ADDRESS,
    })
    .expect(201);
  return res.body;
}
