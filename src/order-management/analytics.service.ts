import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { BadRequestError } from '../common/errors';
import { parseInclusiveEnd, parseInstant } from '../common/instant';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import {
  AnalyticsInterval,
  AnalyticsQueryDto,
  DEFAULT_RANGE_DAYS,
  FulfillmentAnalyticsResponse,
  HistoryAnalyticsResponse,
  MAX_BUCKETS,
  StageAveragesResponse,
} from './dto/dashboard.dto';

const DAY_MS = 86_400_000;
const INTERVAL_MS: Record<AnalyticsInterval, number> = {
  [AnalyticsInterval.DAY]: DAY_MS,
  [AnalyticsInterval.WEEK]: 7 * DAY_MS,
};

export interface AnalyticsRange {
  from: Date;
  to: Date;
  interval: AnalyticsInterval;
}

/** Defaults (the last 30 days up to now), from ≤ to, and at most MAX_BUCKETS buckets. */
export function resolveRange(query: AnalyticsQueryDto, now = new Date()): AnalyticsRange {
  const interval = query.interval ?? AnalyticsInterval.DAY;
  // The range ends before `to`, or after the whole day of a date alone (as every `to` of the API).
  const to = query.to ? parseInclusiveEnd(query.to, 'to').at : now;
  const from = query.from
    ? parseInstant(query.from, 'from')
    : new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
  if (from.getTime() > to.getTime()) {
    throw new BadRequestError('from must not be after to', [
      { field: 'from', message: 'must not be after to' },
    ]);
  }
  if (to.getTime() - from.getTime() > MAX_BUCKETS * INTERVAL_MS[interval]) {
    throw new BadRequestError(`The range may span at most ${MAX_BUCKETS} ${interval}s`, [
      { field: 'to', message: `must be at most ${MAX_BUCKETS} ${interval}s after from` },
    ]);
  }
  return { from, to, interval };
}

/**
 * Buckets of the range [from, to): every bucket start in UTC (date_trunc, weeks from Monday), the
 * first and last possibly partial. `$bucket` in `sql` is the bucket of the row's timestamp column.
 */
const BUCKETS = `select generate_series(
    date_trunc(?, ?::timestamptz at time zone 'UTC'),
    ?::timestamptz at time zone 'UTC' - interval '1 microsecond',
    ('1 ' || ?)::interval) as bucket`;
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

interface StageRow {
  shipped: number;
  waiting: number | string | null;
  picking: number | string | null;
  packing: number | string | null;
  to_ship: number | string | null;
  total: number | string | null;
}

const seconds = (value: number | string | null) => (value === null ? null : Math.round(Number(value)));

function toAverages(row: StageRow | undefined): StageAveragesResponse {
  return {
    waitingSeconds: seconds(row?.waiting ?? null),
    pickingSeconds: seconds(row?.picking ?? null),
    packingSeconds: seconds(row?.packing ?? null),
    toShipSeconds: seconds(row?.to_ship ?? null),
    totalSeconds: seconds(row?.total ?? null),
  };
}

const STAGES = `count(*)::int as shipped,
  avg(extract(epoch from f.picking_started_at - f.created_at)) as waiting,
  avg(extract(epoch from f.picking_completed_at - f.picking_started_at)) as picking,
  avg(extract(epoch from f.packing_completed_at - f.packing_started_at)) as packing,
  avg(extract(epoch from f.shipped_at - f.packing_completed_at)) as to_ship,
  avg(extract(epoch from f.shipped_at - f.created_at)) as total`;

/** Time series computed by PostgreSQL (date_trunc + aggregates); no rows are loaded into memory. */
@Injectable()
export class AnalyticsService {
  constructor(private readonly em: EntityManager) {}

  /** Per bucket of shipped_at: fulfillments shipped and the average seconds spent in each stage. */
  async fulfillment(query: AnalyticsQueryDto): Promise<FulfillmentAnalyticsResponse> {
    const { from, to, interval } = resolveRange(query);
    const range = [from.toISOString(), to.toISOString()];
    const rows = await this.em.execute<(StageRow & { bucket_start: string })[]>(
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
    const [overall] = await this.em.execute<StageRow[]>(
      `select ${STAGES} from order_fulfillments f
        where f.shipped_at >= ?::timestamptz and f.shipped_at < ?::timestamptz`,
      range,
    );
    return {
      from: range[0],
      to: range[1],
      interval,
      totalShipped: overall.shipped,
      averages: toAverages(overall),
      buckets: rows.map((row) => ({
        bucketStart: row.bucket_start,
        shipped: row.shipped,
        averages: toAverages(row),
      })),
    };
  }

  /** Per bucket of created_at: history entries per action (all 18 actions, zeros included). */
  async history(query: AnalyticsQueryDto): Promise<HistoryAnalyticsResponse> {
    const { from, to, interval } = resolveRange(query);
    const range = [from.toISOString(), to.toISOString()];
    const rows = await this.em.execute<{ bucket_start: string; action: string | null; n: number }[]>(
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
    const actions = Object.values(OrderHistoryAction);
    const buckets = new Map<string, { bucketStart: string; total: number; counts: Record<string, number> }>();
    for (const row of rows) {
      let bucket = buckets.get(row.bucket_start);
      if (!bucket) {
        bucket = {
          bucketStart: row.bucket_start,
          total: 0,
          counts: Object.fromEntries(actions.map((a) => [a, 0])),
        };
        buckets.set(row.bucket_start, bucket);
      }
      if (row.action) {
        bucket.counts[row.action] = row.n;
        bucket.total += row.n;
      }
    }
    const list = [...buckets.values()];
    return {
      from: range[0],
      to: range[1],
      interval,
      total: list.reduce((sum, b) => sum + b.total, 0),
      buckets: list,
    };
  }
}
