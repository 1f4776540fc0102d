import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { OrderStatus } from '../orders/order-status.enum';
import { FulfillmentStatus } from '../fulfillment/fulfillment-status.enum';
import { DashboardSummaryResponse } from './dto/dashboard.dto';

interface SummaryRow {
  orders: Record<string, number> | null;
  fulfillments: Record<string, number> | null;
  active_count: number;
  active_units: number;
  expiring_count: number;
  expiring_units: number;
  notifications_pending: number;
  generated_at: Date;
}

/** Every value of `statuses` as a key, with the counted ones filled in (zeros otherwise). */
export function countsByStatus<S extends string>(
  statuses: readonly S[],
  counted: Record<string, number> | null,
): Record<S, number> {
  return Object.fromEntries(statuses.map((s) => [s, Number(counted?.[s] ?? 0)])) as Record<S, number>;
}

/**
 * The operations dashboard: one read-only statement of aggregates over the module tables (a
 * reporting read model, so it reads the tables directly instead of loading rows through each
 * module's service). Every count comes from the same snapshot.
 */
@Injectable()
export class DashboardService {
  constructor(private readonly em: EntityManager) {}

  async summary(): Promise<DashboardSummaryResponse> {
    const [row] = await this.em.execute<SummaryRow[]>(
      `select
         (select json_object_agg(status, n) from (select status, count(*)::int as n from orders group by status) o)
           as orders,
         (select json_object_agg(status, n)
            from (select status, count(*)::int as n from order_fulfillments group by status) f) as fulfillments,
         r.active_count, r.active_units, r.expiring_count, r.expiring_units,
         (select count(*)::int from customer_notifications where status = 'pending') as notifications_pending,
         now() as generated_at
       from (
         select count(*)::int as active_count,
                coalesce(sum(quantity_reserved - quantity_fulfilled), 0)::int as active_units,
                (count(*) filter (where expires_at < now() + interval '24 hours'))::int as expiring_count,
                coalesce(sum(quantity_reserved - quantity_fulfilled)
                  filter (where expires_at < now() + interval '24 hours'), 0)::int as expiring_units
           from inventory_reservations
          where is_active
       ) r`,
    );
    return {
      ordersByStatus: countsByStatus(Object.values(OrderStatus), row.orders),
      fulfillmentsByStatus: countsByStatus(Object.values(FulfillmentStatus), row.fulfillments),
      activeReservations: { count: row.active_count, units: row.active_units },
      reservationsExpiringIn24h: { count: row.expiring_count, units: row.expiring_units },
      notificationsPending: row.notifications_pending,
      generatedAt: new Date(row.generated_at).toISOString(),
    };
  }
}
