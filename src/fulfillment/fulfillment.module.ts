import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HistoryModule } from '../history/history.module';
import { IdentityModule } from '../identity/identity.module';
import { OrdersModule } from '../orders/orders.module';
import { ReservationsModule } from '../reservations/reservations.module';
import { OrderFulfillment } from './order-fulfillment.entity';
import { FulfillmentService } from './fulfillment.service';
import { FulfillmentQueryService } from './fulfillment-query.service';
import { FulfillmentRepository } from './fulfillment.repository';
import { FulfillmentStatusService } from './fulfillment-status.service';
import { FulfillmentController } from './fulfillment.controller';
import { MyFulfillmentsController } from './my-fulfillments.controller';

@Module({
  imports: [
    MikroOrmModule.forFeature([OrderFulfillment]),
    HistoryModule,
    IdentityModule,
    OrdersModule,
    ReservationsModule,
  ],
  controllers: [FulfillmentController, MyFulfillmentsController],
  providers: [FulfillmentRepository, FulfillmentService, FulfillmentQueryService, FulfillmentStatusService],
  exports: [FulfillmentService, FulfillmentQueryService],
})
export class FulfillmentModule {}
