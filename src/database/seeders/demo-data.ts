import { INestApplication, Logger } from '@nestjs/common';
import { UnitOfWork } from '../../common/unit-of-work';
import { UsersService } from '../../identity/users.service';
import { UserRole } from '../../identity/user-role.enum';
import { CatalogService } from '../../catalog/catalog.service';
import { seedDemoOrders } from './demo-orders';

export interface DemoCredentials {
  role: UserRole;
  email: string;
  password: string;
}

export const DEMO_USERS: (DemoCredentials & { fullName: string })[] = [
  { role: UserRole.ADMIN, email: 'admin@oms.local', password: 'admin-password-123', fullName: 'Ada Admin' },
  {
    role: UserRole.SUPPORT,
    email: 'support@oms.local',
    password: 'support-password-123',
    fullName: 'Sam Support',
  },
  {
    role: UserRole.WAREHOUSE,
    email: 'warehouse@oms.local',
    password: 'warehouse-password-123',
    fullName: 'Wes Warehouse',
  },
  {
    role: UserRole.CUSTOMER,
    email: 'customer@oms.local',
    password: 'customer-password-123',
    fullName: 'Casey Customer',
  },
];

const VARIANTS: [string, string][] = [
  ['TSHIRT-BLK-M', 'T-shirt, black, M'],
  ['TSHIRT-BLK-L', 'T-shirt, black, L'],
  ['HOODIE-GRY-M', 'Hoodie, grey, M'],
  ['MUG-WHT-350', 'Mug, white, 350 ml'],
  ['CAP-NAVY', 'Cap, navy'],
  ['SOCKS-3PK', 'Socks, 3-pack'],
];

/**
 * Demo data for the zero-setup start: a user per role, variants, two stock locations with stock,
 * then orders in every status (see demo-orders.ts). Idempotent: each part is skipped when it exists.
 */
export async function seedDemoData(app: INestApplication): Promise<DemoCredentials[]> {
  const logger = new Logger('DemoData');
  const uow = app.get(UnitOfWork);
  const users = app.get(UsersService);
  const catalog = app.get(CatalogService);
  const credentials = DEMO_USERS.map(({ role, email, password }) => ({ role, email, password }));
  const alreadySeeded = await uow.read(
    'demo-check',
    async () => (await users.findByEmail(DEMO_USERS[0].email)) !== null,
  );
  if (!alreadySeeded) {
    await uow.run('demo-seed', async () => {
      for (const user of DEMO_USERS) await users.ensure(user.email, user.password, user.fullName, user.role);
      const main = await catalog.createLocation({ code: 'WH-A', name: 'Main warehouse' });
      const overflow = await catalog.createLocation({ code: 'WH-B', name: 'Overflow warehouse' });
      const variants = [];
      for (const [sku, name] of VARIANTS) variants.push(await catalog.createVariant({ sku, name }));
      // Stock levels are written by statements only (docs/data-access.md): the rows they refer to first.
      await uow.flush();
      for (const [index, variant] of variants.entries()) {
        await catalog.setOnHand(variant.id, main.id, 20 + index * 5);
        await catalog.setOnHand(variant.id, overflow.id, index % 2 === 0 ? 10 : 0);
      }
    });
    logger.log('Seeded demo users, variants, stock locations and stock');
  }
  const emailOf = (role: UserRole) => DEMO_USERS.find((u) => u.role === role)!.email;
  const orders = await seedDemoOrders(app, {
    customer: emailOf(UserRole.CUSTOMER),
    support: emailOf(UserRole.SUPPORT),
  });
  if (orders > 0) logger.log(`Seeded ${orders} demo orders, one in every status`);
  return credentials;
}
