import { Module } from '@nestjs/common';
import { HistoryModule } from '../history/history.module';
import { NotesModule } from '../notes/notes.module';
import { ReservationsModule } from '../reservations/reservations.module';
import { FulfillmentModule } from '../fulfillment/fulfillment.module';
import { OrdersModule } from '../orders/orders.module';
import { DashboardService } from './dashboard.service';
import { AnalyticsService } from './analytics.service';
import { AnalyticsController, DashboardController } from './dashboard.controller';

/** The top layer: the order lifecycle across the modules below, customer routes, dashboard. */
@Module({
  imports: [OrdersModule, HistoryModule, NotesModule, ReservationsModule, FulfillmentModule],
  controllers: [DashboardController, AnalyticsController],
  providers: [DashboardService, AnalyticsService],
})
export class OrderManagementModule {}
