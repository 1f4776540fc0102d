import { Injectable, Optional } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The tarn pool under MikroORM's knex client (only the counters we read). */
interface KnexPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
}

/** Route label of requests that matched no route: one series, whatever URLs scanners try. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Prometheus metrics of one app instance, in a registry of its own (not prom-client's global one),
 * so several apps in one process (tests) do not collide. Jobs and the error filter report through
 * the small methods below; the HTTP histogram is fed by a Fastify hook (HttpMetricsHook).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'oms_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly problems = new Counter({
    name: 'oms_http_problems_total',
    help: 'Error responses (problem+json) by status and problem code',
    labelNames: ['status', 'code'] as const,
    registers: [this.registry],
  });

  private readonly reservationsRejected = new Counter({
    name: 'oms_reservations_rejected_total',
    help: 'Reservation attempts (reserve, order confirm) rejected for insufficient stock',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  private readonly jobRuns = new Counter({
    name: 'oms_job_runs_total',
    help: 'Background job runs, by job',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });

  private readonly jobItems = new Counter({
    name: 'oms_job_items_processed_total',
    help: 'Items a background job processed (reservations released, notifications delivered...)',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });

  private readonly jobFailures = new Counter({
    name: 'oms_job_failures_total',
    help: 'Background job runs (or items) that failed, by job',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: 'oms_webhook_deliveries_total',
    help: 'Webhook delivery attempts to integrators, by outcome (sent, retried, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly webhookLag = new Gauge({
    name: 'oms_webhook_delivery_lag_seconds',
    help: 'Age of the oldest event not yet delivered to an active webhook subscription (0: none)',
    registers: [this.registry],
  });

  private readonly jobDuration = new Histogram({
    name: 'oms_job_duration_seconds',
    help: 'Duration of background job runs, by job',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });

  private readonly dbReads = new Counter({
    name: 'oms_db_reads_total',
    help: 'Reads that a read replica may answer (DATABASE_REPLICA_URLS), by the server that answered: replica or primary',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  private readonly replicaFallbacks = new Counter({
    name: 'oms_db_replica_fallbacks_total',
    help: 'Replica-eligible reads answered by the primary, by reason (replica_down, replica_lagging, own_write_not_replayed, transaction, position_unknown, replica_error)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private replicaStatus?: () => { name: string; state: string; lagMs?: number }[];

  constructor(@Optional() private readonly orm?: MikroORM) {
    collectDefaultMetrics({ register: this.registry, prefix: 'oms_' });
    const pool = () => this.pool();
    new Gauge({
      name: 'oms_db_pool_connections',
      help: 'Database connections of this instance by state (used = checked out, free = idle)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = pool();
        this.set({ state: 'used' }, p?.numUsed() ?? 0);
        this.set({ state: 'free' }, p?.numFree() ?? 0);
      },
    });
    new Gauge({
      name: 'oms_db_pool_pending_acquires',
      help: 'Requests waiting for a database connection (pool exhausted when this stays above 0)',
      registers: [this.registry],
      collect() {
        this.set(pool()?.numPendingAcquires() ?? 0);
      },
    });
    new Gauge({
      name: 'oms_db_pool_pending_creates',
      help: 'Database connections being opened',
      registers: [this.registry],
      collect() {
        this.set(pool()?.numPendingCreates() ?? 0);
      },
    });
    new Gauge({
      name: 'oms_db_pool_max_connections',
      help: 'Configured size of the database pool (DB_POOL_MAX)',
      registers: [this.registry],
      collect() {
        this.set(pool()?.max ?? 0);
      },
    });
  }

  /** Called once by the replica router: the lag and state gauges read it on each scrape. */
  watchReplicas(status: () => { name: string; state: string; lagMs?: number }[]): void {
    if (this.replicaStatus) {
      this.replicaStatus = status;
      return;
    }
    this.replicaStatus = status;
    const current = () => this.replicaStatus?.() ?? [];
    new Gauge({
      name: 'oms_db_replica_lag_seconds',
      help: 'How far each read replica is behind the primary, in seconds (absent while it is down)',
      labelNames: ['replica'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const replica of current()) {
          if (replica.lagMs !== undefined) this.set({ replica: replica.name }, replica.lagMs / 1000);
        }
      },
    });
    new Gauge({
      name: 'oms_db_replica_up',
      help: 'Whether each read replica serves reads (1) or not (0: down, or lagging beyond DB_REPLICA_MAX_LAG_MS)',
      labelNames: ['replica', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const replica of current()) {
          this.set({ replica: replica.name, state: replica.state }, replica.state === 'up' ? 1 : 0);
        }
      },
    });
  }

  recordDbRead(target: 'primary' | 'replica'): void {
    this.dbReads.inc({ target });
  }

  recordReplicaFallback(reason: string): void {
    this.replicaFallbacks.inc({ reason });
  }

  observeHttp(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.httpDuration.observe(
      { method, route: route ?? UNMATCHED_ROUTE, status_code: String(statusCode) },
      seconds,
    );
  }

  /** Called by the problem filter for every error answer it renders. */
  recordProblem(status: number, code: string, route?: string): void {
    this.problems.inc({ status: String(status), code });
    if (code === 'INSUFFICIENT_STOCK') this.reservationsRejected.inc({ route: route ?? UNMATCHED_ROUTE });
  }

  /** One finished job run: how many items it processed and how many of them failed. */
  recordJobRun(job: string, result: { items?: number; failures?: number; seconds?: number } = {}): void {
    this.jobRuns.inc({ job });
    if (result.items) this.jobItems.inc({ job }, result.items);
    if (result.failures) this.jobFailures.inc({ job }, result.failures);
    if (result.seconds !== undefined) this.jobDuration.observe({ job }, result.seconds);
  }

  /** One webhook delivery attempt to an integrator. */
  recordWebhookDelivery(outcome: 'sent' | 'retried' | 'failed'): void {
    this.webhookDeliveries.inc({ outcome });
  }

  setWebhookLag(seconds: number): void {
    this.webhookLag.set(seconds);
  }

  /**
   * Runs one job pass and records it: `work` returns the number of items it processed; a throw counts
   * as a failed run and is rethrown.
   */
  async trackJob<T extends number | { items: number; failures?: number }>(
    job: string,
    work: () => Promise<T>,
  ): Promise<T> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await work();
      const items = typeof result === 'number' ? result : result.items;
      const failures = typeof result === 'number' ? 0 : (result.failures ?? 0);
      this.recordJobRun(job, { items, failures, seconds: seconds() });
      return result;
    } catch (error) {
      this.recordJobRun(job, { failures: 1, seconds: seconds() });
      throw error;
    }
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private pool(): KnexPool | undefined {
    try {
      const knex = (this.orm?.em.getConnection() as { getKnex?: () => unknown } | undefined)?.getKnex?.();
      return (knex as { client?: { pool?: KnexPool } } | undefined)?.client?.pool ?? undefined;
    } catch {
      return undefined;
    }
  }
}
