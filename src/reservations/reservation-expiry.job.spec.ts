import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../common/unit-of-work';
import { MetricsService } from '../metrics/metrics.service';
import { ReservationExpiryJob } from './reservation-expiry.job';
import { ReservationSettlementService } from './reservation-settlement.service';

function setup(
  settings: { JOBS_ENABLED: boolean; RESERVATION_SWEEP_INTERVAL_MS?: number },
  batches: number[] = [],
) {
  const expireDue = jest.fn(async () => batches.shift() ?? 0);
  const runs: string[] = [];
  const uow = {
    run: jest.fn(async (name: string, work: () => Promise<number>) => (runs.push(name), work())),
  };
  const scheduler = new SchedulerRegistry();
  const config = {
    get: (key: string) =>
      ({ RESERVATION_SWEEP_INTERVAL_MS: 30000, ...settings })[key as keyof typeof settings],
  };
  const job = new ReservationExpiryJob(
    uow as unknown as UnitOfWork,
    { expireDue } as unknown as ReservationSettlementService,
    scheduler,
    config as unknown as AppConfig,
    { trackJob: (_job: string, work: () => Promise<number>) => work() } as unknown as MetricsService,
  );
  return { job, expireDue, uow, runs, scheduler };
}

describe('ReservationExpiryJob', () => {
  it('registers its interval only when JOBS_ENABLED, and removes it on shutdown', async () => {
    const off = setup({ JOBS_ENABLED: false });
    off.job.onApplicationBootstrap();
    expect(off.scheduler.getIntervals()).toEqual([]);

    const on = setup({ JOBS_ENABLED: true, RESERVATION_SWEEP_INTERVAL_MS: 1234 });
    on.job.onApplicationBootstrap();
    expect(on.scheduler.getIntervals()).toEqual(['reservation-expiry']);
    await on.job.onModuleDestroy();
    expect(on.scheduler.getIntervals()).toEqual([]);
  });

  it('sweeps batch after batch, each in its own unit of work, until a batch is not full', async () => {
    const { job, expireDue, runs } = setup({ JOBS_ENABLED: true }, [10, 10, 3, 10]);
    await expect(job.sweep(10)).resolves.toBe(23);
    expect(expireDue).toHaveBeenCalledTimes(3);
    expect(expireDue).toHaveBeenCalledWith(10);
    expect(runs).toEqual(['reservation-expiry', 'reservation-expiry', 'reservation-expiry']);
  });

  it('does not overlap its own ticks and survives a failing sweep', async () => {
    const { job, expireDue } = setup({ JOBS_ENABLED: true });
    let finish: (n: number) => void = () => undefined;
    expireDue.mockImplementationOnce(() => new Promise<number>((resolve) => (finish = resolve)));
    const first = job.tick();
    await job.tick(); // still running: skipped
    expect(expireDue).toHaveBeenCalledTimes(1);
    finish(0);
    await first;
    expireDue.mockRejectedValueOnce(new Error('database down'));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await expect(job.tick()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith('Reservation sweep failed: database down');
    warn.mockRestore();
  });
});
