import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { CatalogModule } from '../catalog/catalog.module';
import { HistoryModule } from '../history/history.module';
import { IdentityModule } from '../identity/identity.module';
import { OrdersModule } from '../orders/orders.module';
import { ReservationsModule } from '../reservations/reservations.module';
import { OrderFulfillment } from './order-fulfillment.entity';
import { FulfillmentService } from './fulfillment.service';
import { FulfillmentQueryService } from './fulfillment-query.service';
import { FulfillmentRepository } from './fulfillment.repository';
import { FulfillmentQueryRepository } from './fulfillment-query.repository';
import { FulfillmentStatusService } from './fulfillment-status.service';
import { FulfillmentController } from './fulfillment.controller';
import { MyFulfillmentsController } from './my-fulfillments.controller';
import { ReservationFulfilmentController } from './reservation-fulfilment.controller';

@Module({
  imports: [
    MikroOrmModule.forFeature([OrderFulfillment]),
    CatalogModule,
    HistoryModule,
    IdentityModule,
    OrdersModule,
    ReservationsModule,
  ],
  controllers: [FulfillmentController, MyFulfillmentsController, ReservationFulfilmentController],
  providers: [
    FulfillmentRepository,
    FulfillmentQueryRepository,
    FulfillmentService,
    FulfillmentQueryService,
    FulfillmentStatusService,
  ],
  exports: [FulfillmentService, FulfillmentQueryService],
})
export class FulfillmentModule {}
