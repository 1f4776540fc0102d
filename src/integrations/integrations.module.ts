import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { HistoryModule } from '../history/history.module';
import { WebhookSubscription } from './webhook-subscription.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookFanoutCursor } from './webhook-fanout-cursor.entity';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';
import { EventsService } from './events.service';
import { WebhookAddressGuard } from './webhook-address-guard';
import { WebhookSecretBox } from './webhook-secret-box';
import { WebhookSender } from './webhook-sender';
import { WebhookDispatcherJob } from './webhook-dispatcher.job';
import { WebhookSubscriptionsController } from './webhook-subscriptions.controller';
import { EventsController } from './events.controller';

/**
 * Order events for integrators: webhook subscriptions, their deliveries, and the event feed, all
 * fed by the history feed (HistoryFeedService). Writes nothing on the request path of other modules.
 */
@Module({
  imports: [
    MikroOrmModule.forFeature([WebhookSubscription, WebhookDelivery, WebhookFanoutCursor]),
    HistoryModule,
  ],
  controllers: [WebhookSubscriptionsController, EventsController],
  providers: [
    WebhookSubscriptionsRepository,
    WebhookDeliveriesRepository,
    WebhookSubscriptionsService,
    EventsService,
    WebhookAddressGuard,
    WebhookSecretBox,
    WebhookSender,
    WebhookDispatcherJob,
  ],
})
export class IntegrationsModule {}
