import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HistoryModule } from '../history/history.module';
import { CatalogModule } from '../catalog/catalog.module';
import { OrdersModule } from '../orders/orders.module';
import { InventoryReservation } from './inventory-reservation.entity';
import { ReservationsService } from './reservations.service';
import { ReservationBookingService } from './reservation-booking.service';
import { ReservationSettlementService } from './reservation-settlement.service';
import { ReservationHistory } from './reservation-history';
import { ReservationsRepository } from './reservations.repository';
import { ReservationExpiryJob } from './reservation-expiry.job';
import { ReservationsController } from './reservations.controller';

@Module({
  imports: [MikroOrmModule.forFeature([InventoryReservation]), HistoryModule, CatalogModule, OrdersModule],
  controllers: [ReservationsController],
  providers: [
    ReservationsRepository,
    ReservationsService,
    ReservationBookingService,
    ReservationSettlementService,
    ReservationHistory,
    ReservationExpiryJob,
  ],
  exports: [ReservationsService, ReservationExpiryJob],
})
export class ReservationsModule {}
