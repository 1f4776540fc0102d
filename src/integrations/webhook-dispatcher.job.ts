import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../common/unit-of-work';
import { MetricsService } from '../metrics/metrics.service';
import { FeedIdsAheadError, HistoryFeedService } from '../history/history-feed.service';
import { backoffDelayMs } from '../notes/backoff';
import { storedEvent, toIntegrationEvent } from './integration-event';
import { ClaimedDelivery, NewDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import { WebhookDeliveryStatus } from './webhook-delivery-status.enum';
import { WebhookSecretBox } from './webhook-secret-box';
import { WebhookSender } from './webhook-sender';
import { ALL_EVENTS } from './dto/webhook-subscription.dto';

/** History entries read per fan-out transaction, and fan-out transactions per run at most. */
export const FANOUT_BATCH = 500;
const MAX_FANOUT_BATCHES = 20;
/** Deliveries in flight per instance at most. */
export const MAX_IN_FLIGHT = 50;
const MAX_ERROR_LENGTH = 1000;

export interface DispatchScope {
  /** Only deliveries of these subscriptions (isolation in a shared test database). */
  subscriptionIds?: string[];
  /** Only deliveries of these orders' events (isolation in a shared test database). */
  orderIds?: string[];
}

export interface DispatchResult {
  queued: number;
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

type Outcome = 'sent' | 'retried' | 'failed' | 'lost';

/**
 * Delivers order events to webhook subscriptions. Nothing on the request path: a write command only
 * writes its history entry, as before. Each run, on every instance:
 *
 * 1. fan-out — one short transaction, taken by one instance at a time (advisory lock; the others
 *    skip it), reads the history feed after the fan-out cursor (HistoryFeedService: only entries
 *    whose transaction has ended, in commit-safe order, so none is ever passed over), inserts one
 *    pending delivery per matching active subscription and moves the cursor, all in one commit:
 *    a crash repeats the batch and the unique (subscription, event) pair drops the repeats. With
 *    no active subscription it reads one batch only: the cursor moves past every final entry at once.
 * 2. claim — a short transaction takes due deliveries with FOR UPDATE SKIP LOCKED, counts the
 *    attempt and pushes next_attempt_at a lease ahead; only the earliest pending delivery of each
 *    (subscription, order) is due, so one order's events reach a subscription in sequence order.
 * 3. send — outside any transaction, concurrently, each bounded by WEBHOOK_TIMEOUT_MS: a hanging
 *    receiver holds one slot of MAX_IN_FLIGHT until its timeout, nothing else.
 * 4. settle — marks the delivery sent, schedules a retry with exponential backoff, or marks it
 *    failed after WEBHOOK_MAX_ATTEMPTS; only while it still carries the claim token this
 *    dispatcher's claim set, so a delivery re-claimed after a lease expiry, or redelivered while a
 *    send was in flight, is settled by its current claim only.
 *
 * Each delivery is sent once in normal operation; a process dying between send and settle leaves
 * it to be sent again after the lease: at least once, receivers deduplicate on X-OMS-Event-Id.
 */
@Injectable()
export class WebhookDispatcherJob implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly INTERVAL_NAME = 'webhook-dispatch';
  private readonly logger = new Logger(WebhookDispatcherJob.name);
  private running = false;
  /** Set when the feed cannot be read without skipping events: this instance dispatches no more. */
  private halted = false;
  private readonly inFlight = new Set<Promise<Outcome>>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly metrics: MetricsService,
    private readonly feed: HistoryFeedService,
    private readonly subscriptions: WebhookSubscriptionsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly secrets: WebhookSecretBox,
    private readonly sender: WebhookSender,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.get('JOBS_ENABLED')) return;
    const handle = setInterval(() => void this.tick(), this.config.get('WEBHOOK_DISPATCH_INTERVAL_MS'));
    this.scheduler.addInterval(WebhookDispatcherJob.INTERVAL_NAME, handle);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.scheduler.doesExist('interval', WebhookDispatcherJob.INTERVAL_NAME)) {
      this.scheduler.deleteInterval(WebhookDispatcherJob.INTERVAL_NAME);
    }
    // Let deliveries in flight be settled before the pool closes (else they are sent again later).
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * One scheduled run: sends are not awaited, so slow receivers never hold up the next run. The
   * scope (tests on a shared database) limits which deliveries it claims; the fan-out is global.
   */
  async tick(scope: DispatchScope = {}): Promise<void> {
    if (this.running || this.halted) return;
    this.running = true;
    try {
      await this.metrics.trackJob('webhook_dispatch', async () => {
        const queued = await this.fanOut();
        if (this.halted) return 0;
        const claimed = await this.claim(MAX_IN_FLIGHT - this.inFlight.size, scope);
        for (const delivery of claimed) void this.track(this.deliverAndSettle(delivery));
        this.metrics.setWebhookLag(await this.lagSeconds());
        return queued + claimed.length;
      });
    } catch (error) {
      this.logger.warn(`Webhook dispatch failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** Fan-out, then one batch of due deliveries sent and settled before it returns (tests, CLI). */
  async dispatch(batchSize = MAX_IN_FLIGHT, scope: DispatchScope = {}): Promise<DispatchResult> {
    const queued = await this.fanOut();
    const claimed = this.halted ? [] : await this.claim(batchSize, scope);
    const outcomes = await Promise.all(
      claimed.map((delivery) => this.track(this.deliverAndSettle(delivery))),
    );
    const count = (outcome: Outcome) => outcomes.filter((o) => o === outcome).length;
    return {
      queued,
      claimed: claimed.length,
      sent: count('sent'),
      retried: count('retried'),
      failed: count('failed'),
    };
  }

  /**
   * Seconds the oldest event has been waiting (0: none): for delivery to an active subscription
   * since it was queued, or — what a queue-based measure cannot see — to be fanned out at all,
   * since it was written (an open transaction holding the feed back, a fan-out that fails or has
   * stopped). Exported as oms_webhook_delivery_lag_seconds.
   */
  lagSeconds(): Promise<number> {
    return this.uow.read('webhook-lag', async () =>
      Math.max(
        await this.deliveries.lagSeconds(),
        await this.feed.secondsWaitingAfter(await this.deliveries.fanoutCursor()),
      ),
    );
  }

  /**
   * Turns new history entries into deliveries; returns how many deliveries were queued. Stops this
   * dispatcher for good, with one log line, when the feed's positions are ahead of the server's
   * transaction ids (FeedIdsAheadError: reading on would skip events; docs/operations.md §4).
   */
  async fanOut(): Promise<number> {
    if (this.halted) return 0;
    try {
      return await this.fanOutBatches();
    } catch (error) {
      if (!(error instanceof FeedIdsAheadError)) throw error;
      this.halt(error);
      return 0;
    }
  }

  private halt(error: FeedIdsAheadError): void {
    this.halted = true;
    if (this.scheduler.doesExist('interval', WebhookDispatcherJob.INTERVAL_NAME)) {
      this.scheduler.deleteInterval(WebhookDispatcherJob.INTERVAL_NAME);
    }
    this.logger.error(`Webhook dispatcher stopped until restarted: ${error.message}`);
  }

  private async fanOutBatches(): Promise<number> {
    let queued = 0;
    for (let batch = 0; batch < MAX_FANOUT_BATCHES; batch++) {
      const result = await this.uow.run('webhook-fanout', async () => {
        if (!(await this.deliveries.tryLockFanout())) return { read: 0, queued: 0 };
        const cursor = await this.deliveries.fanoutCursor();
        // Checked before every batch (entriesAfter, lastFinalAfter): never reads on when positions
        // are ahead. The entries are read before the subscriptions: a subscription that is not
        // in the list was not visible yet when every entry of the batch had become final.
        const entries = await this.feed.entriesAfter(cursor, FANOUT_BATCH);
        if (entries.length === 0) return { read: 0, queued: 0 };
        let active = await this.subscriptions.active();
        if (active.length === 0) {
          // Nobody to deliver to: move past every final entry in one step instead of reading them
          // batch by batch, so that a first subscription on a database with a long history gets
          // its events at once. The same order: the entries first, then (again) the subscriptions.
          const last = (await this.feed.lastFinalAfter(cursor))!;
          active = await this.subscriptions.active();
          if (active.length === 0) {
            await this.deliveries.moveFanoutCursor(last);
            return { read: 0, queued: 0 };
          }
        }
        const rows: NewDelivery[] = [];
        for (const entry of entries) {
          for (const subscription of active) {
            const wanted =
              subscription.events.includes(ALL_EVENTS) || subscription.events.includes(entry.action);
            // A subscription receives what happens from its creation on (earlier events: GET /events).
            if (!wanted || entry.createdAt < new Date(subscription.created_at)) continue;
            rows.push({
              id: randomUUID(),
              subscriptionId: subscription.id,
              eventId: entry.id,
              eventType: entry.action,
              orderId: entry.orderId,
              sequence: entry.sequence,
              payload: toIntegrationEvent(entry) as unknown as Record<string, unknown>,
            });
          }
        }
        await this.deliveries.insertMany(rows);
        await this.deliveries.moveFanoutCursor(entries[entries.length - 1].position);
        return { read: entries.length, queued: rows.length };
      });
      queued += result.queued;
      if (result.read < FANOUT_BATCH) break;
    }
    return queued;
  }

  /** Lease long enough for a send to finish before another dispatcher may take the delivery again. */
  private leaseMs(): number {
    return Math.max(30_000, 2 * this.config.get('WEBHOOK_TIMEOUT_MS') + 10_000);
  }

  private claim(limit: number, scope: DispatchScope = {}): Promise<ClaimedDelivery[]> {
    if (
      limit <= 0 ||
      (scope.subscriptionIds && scope.subscriptionIds.length === 0) ||
      (scope.orderIds && scope.orderIds.length === 0)
    )
      return Promise.resolve([]);
    return this.uow.run('webhook-claim', () =>
      this.deliveries.claim(Math.floor(limit), this.leaseMs(), scope.subscriptionIds, scope.orderIds),
    );
  }

  private track(work: Promise<Outcome>): Promise<Outcome> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  private async deliverAndSettle(delivery: ClaimedDelivery): Promise<Outcome> {
    try {
      const [target] = await this.uow.read('webhook-target', () =>
        this.subscriptions.targets([delivery.subscription_id]),
      );
      // Deleted meanwhile: its deliveries are gone with it.
      if (!target) return 'lost';
      let result;
      try {
        const secret = this.secrets.open(target.secret, target.id);
        result = await this.sender.send({ url: target.url, secret }, storedEvent(delivery.payload));
      } catch (error) {
        result = { ok: false, status: null, error: (error as Error).message };
      }
      return await this.settle(delivery, result);
    } catch (error) {
      this.logger.warn(`Webhook delivery ${delivery.id} could not be settled: ${(error as Error).message}`);
      return 'lost';
    }
  }

  private async settle(
    delivery: ClaimedDelivery,
    result: { ok: boolean; status: number | null; error: string | null },
  ): Promise<Outcome> {
    let outcome: Outcome;
    let settled: boolean;
    if (result.ok) {
      outcome = 'sent';
      settled = await this.uow.run('webhook-sent', () =>
        this.deliveries.settle(delivery, {
          status: WebhookDeliveryStatus.SENT,
          responseStatus: result.status,
        }),
      );
    } else {
      const error = (result.error ?? 'delivery failed').slice(0, MAX_ERROR_LENGTH);
      const giveUp = delivery.attempts >= this.config.get('WEBHOOK_MAX_ATTEMPTS');
      outcome = giveUp ? 'failed' : 'retried';
      const log = `Webhook delivery ${delivery.id} attempt ${delivery.attempts} failed: ${error}`;
      if (giveUp) this.logger.error(`${log}; giving up`);
      else this.logger.warn(log);
      settled = await this.uow.run('webhook-failed', () =>
        this.deliveries.settle(
          delivery,
          giveUp
            ? { status: WebhookDeliveryStatus.FAILED, responseStatus: result.status, error }
            : {
                status: WebhookDeliveryStatus.PENDING,
                responseStatus: result.status,
                error,
                retryInMs: backoffDelayMs(delivery.attempts, this.config.get('WEBHOOK_BACKOFF_BASE_MS')),
              },
        ),
      );
    }
    if (!settled) return 'lost';
    this.metrics.recordWebhookDelivery(outcome);
    return outcome;
  }
}
