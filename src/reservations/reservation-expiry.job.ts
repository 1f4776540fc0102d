import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../common/unit-of-work';
import { MetricsService } from '../metrics/metrics.service';
import { ReservationSettlementService } from './reservation-settlement.service';

const JOB_NAME = 'reservation-expiry';
/** Upper bound of batches per sweep, so one tick cannot run forever under a flood of expiries. */
const MAX_BATCHES = 100;

/**
 * Releases expired reservations every RESERVATION_SWEEP_INTERVAL_MS (when JOBS_ENABLED). Each batch
 * is its own transaction that claims rows with FOR UPDATE SKIP LOCKED, so any number of instances
 * can sweep at once and each row is released exactly once, with one inventory_released entry.
 */
@Injectable()
export class ReservationExpiryJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReservationExpiryJob.name);
  private running = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly settlement: ReservationSettlementService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.get('JOBS_ENABLED')) return;
    const interval = setInterval(() => void this.tick(), this.config.get('RESERVATION_SWEEP_INTERVAL_MS'));
    interval.unref();
    this.scheduler.addInterval(JOB_NAME, interval);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
    // Shutting down: let a sweep in progress commit before the database pool closes.
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  async tick(): Promise<void> {
    if (this.running) return; // the previous sweep of this instance is still going
    this.running = true;
    try {
      const released = await this.metrics.trackJob('reservation_expiry', () => this.sweep());
      if (released > 0) this.logger.log(`Released ${released} expired reservations`);
    } catch (error) {
      this.logger.warn(`Reservation sweep failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** Releases expired reservations batch by batch until none is left unclaimed; returns how many. */
  async sweep(batchSize = 200): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const released = await this.uow.run(JOB_NAME, () => this.settlement.expireDue(batchSize));
      total += released;
      if (released < batchSize) break;
    }
    return total;
  }
}
