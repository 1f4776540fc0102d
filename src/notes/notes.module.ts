import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HistoryModule } from '../history/history.module';
import { IdentityModule } from '../identity/identity.module';
import { OrdersModule } from '../orders/orders.module';
import { OrderNote } from './order-note.entity';
import { CustomerNotification } from './customer-notification.entity';
import { NotesService } from './notes.service';
import { NotesRepository } from './notes.repository';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { NotesController } from './notes.controller';
import { NotificationsController } from './notifications.controller';
import { NotificationDispatcherJob } from './notification-dispatcher.job';
import { LogChannel } from './channels/log.channel';
import { WebhookChannel } from './channels/webhook.channel';
import { NotificationChannels } from './channels/notification-channels';

@Module({
  imports: [
    MikroOrmModule.forFeature([OrderNote, CustomerNotification]),
    HistoryModule,
    OrdersModule,
    IdentityModule,
  ],
  controllers: [NotesController, NotificationsController],
  providers: [
    NotesRepository,
    NotesService,
    NotificationsRepository,
    NotificationsService,
    NotificationDispatcherJob,
    LogChannel,
    WebhookChannel,
    NotificationChannels,
  ],
  exports: [NotesService, NotificationsService],
})
export class NotesModule {}
