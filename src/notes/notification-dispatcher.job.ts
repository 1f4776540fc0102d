import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../common/unit-of-work';
import { MetricsService } from '../metrics/metrics.service';
import { backoffDelayMs } from './backoff';
import { NotificationChannels } from './channels/notification-channels';
import { ClaimedNotificationRow, NotificationsRepository } from './notifications.repository';
import { NotesRepository } from './notes.repository';
import { OutgoingNotification } from './channels/notification-channel';

export const DEFAULT_DISPATCH_BATCH = 50;
const MAX_ERROR_LENGTH = 1000;

export interface DispatchScope {
  /** Only notifications of these orders (flushing one order; isolation in a shared test database). */
  orderIds?: string[];
}

export interface DispatchResult {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

type ClaimedRow = ClaimedNotificationRow;

type Outcome = 'sent' | 'retried' | 'failed' | 'lost';

/**
 * Delivers the customer-notification outbox. Safe with any number of instances:
 *
 * 1. claim — one short transaction takes due rows (`pending`, `next_attempt_at <= now()`) with
 *    `FOR UPDATE SKIP LOCKED`, counts the attempt and pushes `next_attempt_at` a lease ahead, then
 *    commits. Other dispatchers skip the locked rows and, after the commit, find them not due.
 * 2. deliver — outside any transaction, so no lock is held during the HTTP call.
 * 3. settle — a second short transaction marks the row `sent` (and the note's `notified_at`), or
 *    schedules the next attempt with exponential backoff, or marks it `failed` with `last_error`
 *    after NOTIFY_MAX_ATTEMPTS. The update only applies while the row is still pending with the
 *    attempt count this dispatcher claimed, so a row re-claimed after a lease expiry is settled once.
 *
 * A process dying between deliver and settle leaves the row to be delivered again when the lease
 * expires: delivery is at least once, and receivers dedupe on X-OMS-Notification-Id.
 */
@Injectable()
export class NotificationDispatcherJob implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly INTERVAL_NAME = 'notification-dispatch';
  private readonly logger = new Logger(NotificationDispatcherJob.name);
  private running = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly channels: NotificationChannels,
    private readonly metrics: MetricsService,
    private readonly notifications: NotificationsRepository,
    private readonly notes: NotesRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.get('JOBS_ENABLED')) return;
    const handle = setInterval(() => void this.tick(), this.config.get('NOTIFY_DISPATCH_INTERVAL_MS'));
    this.scheduler.addInterval(NotificationDispatcherJob.INTERVAL_NAME, handle);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.scheduler.doesExist('interval', NotificationDispatcherJob.INTERVAL_NAME)) {
      this.scheduler.deleteInterval(NotificationDispatcherJob.INTERVAL_NAME);
    }
    // Shutting down: let deliveries in flight be settled (sent, or scheduled for a retry) before the
    // database pool closes; otherwise their rows wait out the lease and are delivered a second time.
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** One scheduled run; a run still in progress makes the next tick a no-op. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const result = await this.metrics.trackJob('notification_dispatch', async () => {
        const outcome = await this.dispatch();
        return { ...outcome, items: outcome.sent, failures: outcome.retried + outcome.failed };
      });
      if (result.claimed > 0) {
        this.logger.log(
          `Notifications: ${result.sent} sent, ${result.retried} to retry, ${result.failed} failed`,
        );
      }
    } catch (error) {
      this.logger.warn(`Notification dispatch failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** Claims up to `batchSize` due notifications and delivers them (in parallel). */
  async dispatch(batchSize = DEFAULT_DISPATCH_BATCH, scope: DispatchScope = {}): Promise<DispatchResult> {
    const claimed = await this.claim(batchSize, scope);
    const outcomes = await Promise.all(claimed.map((row) => this.deliverAndSettle(row)));
    const count = (outcome: Outcome) => outcomes.filter((o) => o === outcome).length;
    return {
      claimed: claimed.length,
      sent: count('sent'),
      retried: count('retried'),
      failed: count('failed'),
    };
  }

  /** Lease long enough for a delivery to finish before another dispatcher may take the row again. */
  private leaseMs(): number {
    return Math.max(60_000, 2 * this.config.get('NOTIFY_TIMEOUT_MS') + 10_000);
  }

  private claim(batchSize: number, scope: DispatchScope): Promise<ClaimedRow[]> {
    const orderIds = scope.orderIds ?? [];
    if (scope.orderIds && orderIds.length === 0) return Promise.resolve([]);
    return this.uow.run('notification-claim', () =>
      this.notifications.claim(
        this.leaseMs(),
        Math.max(1, Math.floor(batchSize)),
        scope.orderIds ? orderIds : undefined,
      ),
    );
  }

  private async deliverAndSettle(row: ClaimedRow): Promise<Outcome> {
    const notification: OutgoingNotification = {
      id: row.id,
      attempt: row.attempts,
      createdAt: new Date(row.created_at),
      payload: row.payload,
    };
    try {
      const channel = this.channels.get(row.channel);
      if (!channel) throw new Error(`unknown notification channel "${row.channel}"`);
      await channel.deliver(notification);
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH);
      return this.settleFailure(row, message);
    }
    return this.settleSuccess(row);
  }

  private settleSuccess(row: ClaimedRow): Promise<Outcome> {
    return this.uow.run('notification-sent', async () => {
      const settled = await this.notifications.settleSent(row.id, row.attempts);
      if (!settled) return 'lost';
      if (settled.noteId) await this.notes.markNotified(settled.noteId);
      return 'sent';
    });
  }

  private settleFailure(row: ClaimedRow, error: string): Promise<Outcome> {
    const giveUp = row.attempts >= this.config.get('NOTIFY_MAX_ATTEMPTS');
    if (!giveUp) {
      this.logger.warn(`Notification ${row.id} attempt ${row.attempts} failed: ${error}`);
    } else {
      this.logger.error(`Notification ${row.id} failed after ${row.attempts} attempts: ${error}`);
    }
    return this.uow.run('notification-failed', async () => {
      const settled = giveUp
        ? await this.notifications.settleFailed(row.id, row.attempts, error)
        : await this.notifications.scheduleRetry(
            row.id,
            row.attempts,
            backoffDelayMs(row.attempts, this.config.get('NOTIFY_BACKOFF_BASE_MS')),
            error,
          );
      if (!settled) return 'lost';
      return giveUp ? 'failed' : 'retried';
    });
  }
}
