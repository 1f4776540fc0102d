import { Injectable } from '@nestjs/common';
import { HistoryFeedService } from '../history/history-feed.service';
import { decodeCursor, encodeCursor, toIntegrationEvent } from './integration-event';
import { EventPageResponse, ListEventsQueryDto } from './dto/event.dto';

/** GET /events: the history feed as integration events, with an opaque cursor. */
@Injectable()
export class EventsService {
  constructor(private readonly feed: HistoryFeedService) {}

  async list(query: ListEventsQueryDto): Promise<EventPageResponse> {
    const after = query.after ? decodeCursor(query.after) : null;
    const entries = await this.feed.entriesAfter(after, query.limit, {
      action: query.type,
      orderId: query.orderId,
    });
    const last = entries.at(-1);
    return {
      data: entries.map(toIntegrationEvent),
      nextCursor: last ? encodeCursor(last.position) : (query.after ?? null),
    };
  }
}
