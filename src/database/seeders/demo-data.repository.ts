import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The demo seeder's one statement of its own: a transaction-scoped advisory lock, so that two
 * instances starting at the same time do not both seed the demo orders (the second waits, then
 * finds them). Everything else the seeder writes goes through the modules' services.
 */
export async function lockDemoOrders(em: EntityManager): Promise<void> {
  await em.execute(`select pg_advisory_xact_lock(hashtext('oms:demo-orders'))`);
}
