import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../common/unit-of-work';
import { MetricsService } from '../metrics/metrics.service';
import { NotificationChannels } from './channels/notification-channels';
import { NotificationDispatcherJob } from './notification-dispatcher.job';
import { NotificationsRepository } from './notifications.repository';
import { NotesRepository } from './notes.repository';

function makeJob(settings: Record<string, unknown>) {
  const scheduler = new SchedulerRegistry();
  const config = { get: (key: string) => settings[key] } as unknown as AppConfig;
  const uow = { run: jest.fn() } as unknown as UnitOfWork;
  const metrics = {
    trackJob: (_job: string, work: () => Promise<unknown>) => work(),
  } as unknown as MetricsService;
  const job = new NotificationDispatcherJob(
    uow,
    config,
    scheduler,
    {} as NotificationChannels,
    metrics,
    {} as NotificationsRepository,
    {} as NotesRepository,
  );
  return { job, scheduler };
}

describe('NotificationDispatcherJob scheduling', () => {
  it('registers no interval when jobs are disabled', async () => {
    const { job, scheduler } = makeJob({ JOBS_ENABLED: false, NOTIFY_DISPATCH_INTERVAL_MS: 5000 });
    job.onApplicationBootstrap();
    expect(scheduler.getIntervals()).toEqual([]);
    await job.onModuleDestroy();
  });

  it('registers its interval when jobs are enabled and removes it on shutdown', async () => {
    const { job, scheduler } = makeJob({ JOBS_ENABLED: true, NOTIFY_DISPATCH_INTERVAL_MS: 60_000 });
    job.onApplicationBootstrap();
    expect(scheduler.getIntervals()).toEqual([NotificationDispatcherJob.INTERVAL_NAME]);
    await job.onModuleDestroy();
    expect(scheduler.getIntervals()).toEqual([]);
  });

  it('skips a tick while the previous one is still running', async () => {
    const { job } = makeJob({ JOBS_ENABLED: true });
    let finish!: () => void;
    const dispatch = jest
      .spyOn(job, 'dispatch')
      .mockImplementation(
        () =>
          new Promise((resolve) => (finish = () => resolve({ claimed: 0, sent: 0, retried: 0, failed: 0 }))),
      );
    const first = job.tick();
    await job.tick();
    expect(dispatch).toHaveBeenCalledTimes(1);
    finish();
    await first;
    const third = job.tick();
    finish();
    await third;
    expect(dispatch).toHaveBeenCalledTimes(2);
  });

  it('survives a failing run', async () => {
    const { job } = makeJob({ JOBS_ENABLED: true });
    jest.spyOn(job, 'dispatch').mockRejectedValue(new Error('database down'));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await expect(job.tick()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith('Notification dispatch failed: database down');
    warn.mockRestore();
  });
});
