import { Injectable } from '@nestjs/common';
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
import { AnalyticsRepository, StageRow } from './analytics.repository';

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

/** Fulfillment and history time series over a checked range (defaults, order, bucket count). */
@Injectable()
export class AnalyticsService {
  constructor(private readonly repository: AnalyticsRepository) {}

  /** Per bucket of shipped_at: fulfillments shipped and the average seconds spent in each stage. */
  async fulfillment(query: AnalyticsQueryDto): Promise<FulfillmentAnalyticsResponse> {
    const range = resolveRange(query);
    const rows = await this.repository.fulfillmentBuckets(range);
    const overall = await this.repository.fulfillmentOverall(range);
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      interval: range.interval,
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
    const range = resolveRange(query);
    const rows = await this.repository.historyCounts(range);
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
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      interval: range.interval,
      total: list.reduce((sum, b) => sum + b.total, 0),
      buckets: list,
    };
  }
}
