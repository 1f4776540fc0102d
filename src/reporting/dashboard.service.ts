import { Injectable } from '@nestjs/common';
import { OrderStatus } from '../orders/order-status.enum';
import { FulfillmentStatus } from '../fulfillment/fulfillment-status.enum';
import { DashboardSummaryResponse } from './dto/dashboard.dto';
import { DashboardRepository } from './dashboard.repository';

/** Every value of `statuses` as a key, with the counted ones filled in (zeros otherwise). */
export function countsByStatus<S extends string>(
  statuses: readonly S[],
  counted: Record<string, number> | null,
): Record<S, number> {
  return Object.fromEntries(statuses.map((s) => [s, Number(counted?.[s] ?? 0)])) as Record<S, number>;
}

/** The operations dashboard: the aggregates of one statement, every status listed (zeros included). */
@Injectable()
export class DashboardService {
  constructor(private readonly repository: DashboardRepository) {}

  async summary(): Promise<DashboardSummaryResponse> {
    const row = await this.repository.summary();
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
