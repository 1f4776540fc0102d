import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HistoryModule } from '../history/history.module';
import { ReservationsModule } from '../reservations/reservations.module';
import { OrderFulfillment } from './order-fulfillment.entity';

@Module({
  imports: [MikroOrmModule.forFeature([OrderFulfillment]), HistoryModule, ReservationsModule],
})
export class FulfillmentModule {}
