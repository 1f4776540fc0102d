import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HistoryModule } from '../history/history.module';
import { OrderNote } from './order-note.entity';
import { CustomerNotification } from './customer-notification.entity';

@Module({
  imports: [MikroOrmModule.forFeature([OrderNote, CustomerNotification]), HistoryModule],
})
export class NotesModule {}
