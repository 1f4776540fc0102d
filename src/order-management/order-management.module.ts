import { Module } from '@nestjs/common';
import { HistoryModule } from '../history/history.module';
import { NotesModule } from '../notes/notes.module';
import { ReservationsModule } from '../reservations/reservations.module';
import { FulfillmentModule } from '../fulfillment/fulfillment.module';
import { OrdersModule } from '../orders/orders.module';

@Module({
  imports: [OrdersModule, HistoryModule, NotesModule, ReservationsModule, FulfillmentModule],
})
export class OrderManagementModule {}
