import { Injectable } from '@nestjs/common';
import { FeedEntryRow, FeedFilter, FeedPosition, HistoryFeedRepository } from './history-feed.repository';

export type { FeedFilter, FeedPosition } from './history-feed.repository';

/** One history entry as the feed hands it out (no IP, user agent or description). */
export interface FeedEntry {
  id: string;
  position: FeedPosition;
  orderId: string;
  orderNumber: string;
  sequence: number;
  action: string;
  oldStatus: string | null;
  newStatus: string | null;
  performedById: string | null;
  additionalData: Record<string, unknown> | null;
  createdAt: Date;
}

function toFeedEntry(row: FeedEntryRow): FeedEntry {
  return {
    id: row.id,
    position: { xid: row.xid, orderId: row.order_id, sequence: row.sequence },
    orderId: row.order_id,
    orderNumber: row.order_number,
    sequence: row.sequence,
    action: row.action,
    oldStatus: row.old_status,
    newStatus: row.new_status,
    performedById: row.performed_by_id,
    additionalData: row.additional_data,
    createdAt: new Date(row.created_at),
  };
}

/**
 * Every history entry in commit-safe order (see history-feed.repository.ts): what the integrations
 * module reads to serve GET /events and to fan events out to webhook subscriptions.
 */
@Injectable()
export class HistoryFeedService {
  constructor(private readonly repository: HistoryFeedRepository) {}

  /** Up to `limit` final entries after `after` (from the start when null), oldest first. */
  async entriesAfter(
    after: FeedPosition | null,
    limit: number,
    filter: FeedFilter = {},
  ): Promise<FeedEntry[]> {
    return (await this.repository.entriesAfter(after, limit, filter)).map(toFeedEntry);
  }
}
