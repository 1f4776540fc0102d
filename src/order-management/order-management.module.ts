import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { HistoryModule } from '../history/history.module';
import { NotesModule } from '../notes/notes.module';
import { ReservationsModule } from '../reservations/reservations.module';
import { FulfillmentModule } from '../fulfillment/fulfillment.module';
import { OrdersModule } from '../orders/orders.module';
import { ReportingModule } from '../reporting/reporting.module';
import { LocationStrategy, SingleLocationFirstStrategy } from './location-strategy';
import { OrderDetailsService } from './order-details.service';
import { OrderEditingService } from './order-editing.service';
import { OrderConfirmationService } from './order-confirmation.service';
import { OrderPaymentsService } from './order-payments.service';
import { OrderCancellationService } from './order-cancellation.service';
import { OrderDeliveryService } from './order-delivery.service';
import { OrderReturnsService } from './order-returns.service';
import { CustomerOrdersService } from './customer-orders.service';
import { OrderLifecycleController } from './order-lifecycle.controller';
import { CustomerOrdersController } from './customer-orders.controller';

/**
 * The top layer: the order lifecycle orchestrating reservations, fulfillment, history and notes;
 * the customer routes. Nothing imports this module.
 */
@Module({
  imports: [
    OrdersModule,
    CatalogModule,
    HistoryModule,
    NotesModule,
    ReservationsModule,
    FulfillmentModule,
    ReportingModule,
  ],
  controllers: [OrderLifecycleController, CustomerOrdersController],
  providers: [
    // Replace the class to change how confirmation picks stock locations.
    { provide: LocationStrategy, useClass: SingleLocationFirstStrategy },
    OrderDetailsService,
    OrderEditingService,
    OrderConfirmationService,
    OrderPaymentsService,
    OrderCancellationService,
    OrderDeliveryService,
    OrderReturnsService,
    CustomerOrdersService,
  ],
})
export class OrderManagementModule {}
