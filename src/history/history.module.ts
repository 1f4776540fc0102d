import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { OrderHistory } from './order-history.entity';
import { OrderHistoryService } from './order-history.service';

@Module({
  imports: [MikroOrmModule.forFeature([OrderHistory])],
  providers: [OrderHistoryService],
  exports: [OrderHistoryService],
})
export class HistoryModule {}
