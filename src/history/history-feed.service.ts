import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors';
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

  /**
   * Up to `limit` final entries after `after` (from the start when null), oldest first. Throws
   * FeedIdsAheadError instead when the stored positions are ahead of the server's transaction ids
   * (see assertIdsNotAhead).
   */
  async entriesAfter(
    after: FeedPosition | null,
    limit: number,
    filter: FeedFilter = {},
  ): Promise<FeedEntry[]> {
    await this.assertIdsNotAhead();
    return (await this.repository.entriesAfter(after, limit, filter)).map(toFeedEntry);
  }

  /**
   * The position of the newest final entry after `after` (null: none), for a reader that wants to
   * move past everything final without reading it. Refuses like entriesAfter.
   */
  async lastFinalAfter(after: FeedPosition): Promise<FeedPosition | null> {
    await this.assertIdsNotAhead();
    return this.repository.lastFinalAfter(after);
  }

  /** Seconds the oldest entry after `after` has been waiting (0: none); see the repository. */
  secondsWaitingAfter(after: FeedPosition): Promise<number> {
    return this.repository.secondsWaitingAfter(after);
  }

  /**
   * Refuses to serve the feed when order_history holds transaction ids at or above the server's
   * next one (a logical restore into a new cluster): entries there would stay hidden behind the
   * horizon and every new entry would sort before every reader's cursor, so readers would silently
   * skip events. docs/operations.md §4 says how to repair the cluster.
   */
  async assertIdsNotAhead(): Promise<void> {
    const ahead = await this.repository.idsAhead();
    if (ahead) throw new FeedIdsAheadError(ahead.storedXid, ahead.nextXid);
  }
}

/** 503 EVENT_FEED_IDS_AHEAD: the feed cannot be served without skipping events (see above). */
export class FeedIdsAheadError extends DomainError {
  constructor(storedXid: string, nextXid: string) {
    super(
      503,
      'EVENT_FEED_IDS_AHEAD',
      `The event feed is unavailable: order_history holds transaction ids up to ${storedXid}, but this ` +
        `PostgreSQL server's next transaction id is ${nextXid} (a pg_dump restored into a new cluster?). ` +
        'Served now, the feed would skip events. An operator must advance the server past that id ' +
        '(docs/operations.md, backups and restore).',
      { storedXid, nextXid },
    );
  }
}
