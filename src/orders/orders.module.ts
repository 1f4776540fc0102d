import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Order } from './order.entity';
import { OrderItem } from './order-item.entity';

@Module({
  imports: [MikroOrmModule.forFeature([Order, OrderItem])],
})
export class OrdersModule {}
