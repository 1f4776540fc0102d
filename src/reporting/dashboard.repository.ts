import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { MayReadFromReplica } from '../database/read-replicas';

export interface DashboardSummaryRow {
  orders: Record<string, number> | null;
  fulfillments: Record<string, number> | null;
  active_count: number;
  active_units: number;
  expiring_count: number;
  expiring_units: number;
  notifications_pending: number;
  generated_at: Date;
}

/**
 * The dashboard's one statement of aggregates over the module tables. Reporting is the one module
 * that reads across tables; it writes none. One statement, so every count comes from one snapshot.
 */
@Injectable()
export class DashboardRepository {
  constructor(private readonly em: EntityManager) {}

  @MayReadFromReplica()
  async summary(): Promise<DashboardSummaryRow> {
    const [row] = await this.em.execute<DashboardSummaryRow[]>(
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
    return row;
  }
}
