import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { OrderHistory } from './order-history.entity';
import { OrderHistoryService } from './order-history.service';
import { OrderHistoryRepository } from './order-history.repository';
import { HistoryQueryService } from './history-query.service';
import { HistoryVerifyService } from './history-verify.service';
import { HistoryExportService } from './history-export.service';
import { OrderHistoryController } from './order-history.controller';
import { HistoryController } from './history.controller';
import { HistoryFeedRepository } from './history-feed.repository';
import { HistoryFeedService } from './history-feed.service';

/**
 * The append-only audit trail. Exports the one writer (OrderHistoryService.record) and the read
 * side (HistoryQueryService, whose customerTimeline() serves GET /me/orders/:id/timeline) and the
 * commit-safe feed of every entry (HistoryFeedService) that the integrations module reads.
 */
@Module({
  imports: [MikroOrmModule.forFeature([OrderHistory])],
  controllers: [OrderHistoryController, HistoryController],
  providers: [
    OrderHistoryRepository,
    OrderHistoryService,
    HistoryQueryService,
    HistoryVerifyService,
    HistoryExportService,
    HistoryFeedRepository,
    HistoryFeedService,
  ],
  exports: [OrderHistoryService, HistoryQueryService, HistoryFeedService],
})
export class HistoryModule {}
