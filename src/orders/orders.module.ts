import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HistoryModule } from '../history/history.module';
import { CatalogModule } from '../catalog/catalog.module';
import { IdentityModule } from '../identity/identity.module';
import { Order } from './order.entity';
import { OrderItem } from './order-item.entity';
import { OrdersService } from './orders.service';
import { OrdersRepository } from './orders.repository';
import { OrderPlacementService } from './order-placement.service';
import { OrdersController } from './orders.controller';

@Module({
  imports: [MikroOrmModule.forFeature([Order, OrderItem]), HistoryModule, CatalogModule, IdentityModule],
  controllers: [OrdersController],
  providers: [OrdersRepository, OrdersService, OrderPlacementService],
  exports: [OrdersService, OrderPlacementService],
})
export class OrdersModule {}
