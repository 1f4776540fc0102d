import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HistoryModule } from '../history/history.module';
import { Order } from './order.entity';
import { OrderItem } from './order-item.entity';
import { OrdersService } from './orders.service';

@Module({
  imports: [MikroOrmModule.forFeature([Order, OrderItem]), HistoryModule],
  providers: [OrdersService],
  exports: [OrdersService],
})
export class OrdersModule {}
