import { Module } from '@nestjs/common';
import { DashboardRepository } from './dashboard.repository';
import { DashboardService } from './dashboard.service';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsService } from './analytics.service';
import { InventoryConsistencyRepository } from './inventory-consistency.repository';
import { InventoryConsistencyService } from './inventory-consistency.service';
import { AnalyticsController, DashboardController } from './dashboard.controller';
import { InventoryConsistencyController } from './inventory-consistency.controller';
import { OrderDetailsRepository } from './order-details.repository';
import { OrderDetailQueries } from './order-details.queries';

/**
 * Read-only views across modules: order detail aggregates, the dashboard, analytics and the
 * inventory drift report. The one module whose repositories read other modules' tables; it writes
 * none. order-management imports it for the order detail rows.
 */
@Module({
  controllers: [DashboardController, AnalyticsController, InventoryConsistencyController],
  providers: [
    DashboardRepository,
    DashboardService,
    AnalyticsRepository,
    AnalyticsService,
    InventoryConsistencyRepository,
    InventoryConsistencyService,
    OrderDetailsRepository,
    OrderDetailQueries,
  ],
  exports: [OrderDetailQueries],
})
export class ReportingModule {}
