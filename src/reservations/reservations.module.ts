import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HistoryModule } from '../history/history.module';
import { CatalogModule } from '../catalog/catalog.module';
import { InventoryReservation } from './inventory-reservation.entity';

@Module({
  imports: [MikroOrmModule.forFeature([InventoryReservation]), HistoryModule, CatalogModule],
})
export class ReservationsModule {}
