import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { MayReadFromReplica } from '../database/read-replicas';

/** The analytics time buckets: `day` or `week` (weeks start on Monday, as date_trunc has them). */
export type BucketInterval = 'day' | 'week';

export interface BucketRange {
  from: Date;
  to: Date;
  interval: BucketInterval;
}

/** Average seconds per fulfillment stage (numeric aggregates arrive as text or null). */
export interface StageRow {
  shipped: number;
  waiting: number | string | null;
  picking: number | string | null;
  packing: number | string | null;
  to_ship: number | string | null;
  total: number | string | null;
}

export interface HistoryCountRow {
  bucket_start: string;
  action: string | null;
  n: number;
}

/**
 * Buckets of the range [from, to): every bucket start in UTC (date_trunc, weeks from Monday), the
 * first and last possibly partial.
 */
const BUCKETS = `select generate_series(
    date_trunc(?, ?::timestamptz at time zone 'UTC'),
    ?::timestamptz at time zone 'UTC' - interval '1 microsecond',
    ('1 ' || ?)::interval) as bucket`;
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

const STAGES = `count(*)::int as shipped,
  avg(extract(epoch from f.picking_started_at - f.created_at)) as waiting,
  avg(extract(epoch from f.picking_completed_at - f.picking_started_at)) as picking,
  avg(extract(epoch from f.packing_completed_at - f.packing_started_at)) as packing,
  avg(extract(epoch from f.shipped_at - f.packing_completed_at)) as to_ship,
  avg(extract(epoch from f.shipped_at - f.created_at)) as total`;

/** Time series computed by PostgreSQL (date_trunc + aggregates); no rows are loaded into memory. */
@Injectable()
export class AnalyticsRepository {
  constructor(private readonly em: EntityManager) {}

  /** Per bucket of shipped_at: fulfillments shipped and the average seconds of each stage. */
  @MayReadFromReplica()
  fulfillmentBuckets({ from, to, interval }: BucketRange): Promise<(StageRow & { bucket_start: string })[]> {
    const range = [from.toISOString(), to.toISOString()];
    return this.em.execute<(StageRow & { bucket_start: string })[]>(
      `with buckets as (${BUCKETS}),
       stats as (
         select date_trunc(?, f.shipped_at at time zone 'UTC') as bucket, ${STAGES}
           from order_fulfillments f
          where f.shipped_at >= ?::timestamptz and f.shipped_at < ?::timestamptz
          group by 1)
       select to_char(b.bucket, ${ISO}) as bucket_start, coalesce(s.shipped, 0)::int as shipped,
              s.waiting, s.picking, s.packing, s.to_ship, s.total
         from buckets b left join stats s on s.bucket = b.bucket
        order by b.bucket`,
      [interval, range[0], range[1], interval, interval, ...range],
    );
  }

  /** The same averages over the whole range. */
  @MayReadFromReplica()
  async fulfillmentOverall({ from, to }: BucketRange): Promise<StageRow> {
    const [row] = await this.em.execute<StageRow[]>(
      `select ${STAGES} from order_fulfillments f
        where f.shipped_at >= ?::timestamptz and f.shipped_at < ?::timestamptz`,
      [from.toISOString(), to.toISOString()],
    );
    return row;
  }

  /** Per bucket of created_at: history entries per action (a bucket with none has one row, action null). */
  @MayReadFromReplica()
  historyCounts({ from, to, interval }: BucketRange): Promise<HistoryCountRow[]> {
    const range = [from.toISOString(), to.toISOString()];
    return this.em.execute<HistoryCountRow[]>(
      `with buckets as (${BUCKETS}),
       counts as (
         select date_trunc(?, h.created_at at time zone 'UTC') as bucket, h.action::text as action, count(*)::int as n
           from order_history h
          where h.created_at >= ?::timestamptz and h.created_at < ?::timestamptz
          group by 1, 2)
       select to_char(b.bucket, ${ISO}) as bucket_start, c.action, coalesce(c.n, 0)::int as n
         from buckets b left join counts c on c.bucket = b.bucket
        order by b.bucket, c.action`,
      [interval, range[0], range[1], interval, interval, ...range],
    );
  }
}
