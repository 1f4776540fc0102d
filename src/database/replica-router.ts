import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/core';
import { AppConfig } from '../config/app-config';
import { RequestContext } from '../common/request-context';
import { MetricsService } from '../metrics/metrics.service';
import {
  isAnswerError,
  parseLsn,
  replicaName,
  ReplicaReadRouter,
  ReplicaRoutingPostgreSqlDriver,
} from './read-replicas';
import { MemoryReadPositions, ReadPositions, RedisReadPositions } from './read-positions';
import { replayPosition, walInsertPosition, walWritePosition } from './database-server.repository';

/** How often each replica's replay position (and the primary's WAL position) is sampled. */
export const REPLICA_POLL_INTERVAL_MS = 150;
/** A poll that does not answer within this marks the replica down until one does. */
const POLL_TIMEOUT_MS = 1000;
/** A position no replica reaches: remembered when a write's position could not be read. */
const UNKNOWN_POSITION = 1n << 62n;
/** A replica whose last good poll is older than this is treated as down. */
const STALE_AFTER_MS = 1000;

/** Why a read that could have gone to a replica went to the primary (a metrics label). */
export type FallbackReason =
  | 'transaction'
  | 'replica_down'
  | 'replica_lagging'
  | 'own_write_not_replayed'
  | 'position_unknown'
  | 'replica_error';

export type ReplicaState = 'up' | 'down' | 'lagging';

interface Replica {
  name: string;
  /** The last replay position seen (replay only moves forward: a safe lower bound). */
  replayLsn?: bigint;
  polledAt: number;
  polling: boolean;
  error?: string;
  /** What the log last said about it, so that only changes are logged. */
  logged?: 'answering' | 'failing';
}

interface PrimarySample {
  at: number;
  lsn: bigint;
}

export interface ReplicaStatus {
  name: string;
  state: ReplicaState;
  lagMs?: number;
  error?: string;
}

/**
 * Decides per read whether a replica may answer it, and which (round-robin among those that may),
 * and remembers each user's writes so their own reads never see an older state.
 *
 * Lag is measured in time against the primary's WAL: every REPLICA_POLL_INTERVAL_MS the primary's
 * current WAL position and each replica's replay position are sampled; a replica's lag is how long
 * ago the primary first passed the position the replica has replayed (0 when it has replayed all
 * the primary had). A replica is used only when its lag is within DB_REPLICA_MAX_LAG_MS and it
 * has replayed the calling user's last write position (kept DB_REPLICA_MAX_LAG_MS + a margin: after
 * that, any replica within the bound has it).
 */
@Injectable()
export class ReplicaRouter implements ReplicaReadRouter, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ReadReplicas');
  private readonly driver?: ReplicaRoutingPostgreSqlDriver;
  private readonly replicas: Replica[] = [];
  private readonly maxLagMs: number;
  private readonly positionTtlMs: number;
  private positions?: ReadPositions;
  private samples: PrimarySample[] = [];
  private primaryPolling = false;
  /** When the primary last answered a poll (its WAL position may not have moved since the last sample). */
  private primarySeenAt = 0;
  private timer?: NodeJS.Timeout;
  private next = 0;
  private lastPositionError = 0;

  constructor(
    orm: MikroORM,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    const driver = orm.em.getDriver();
    this.maxLagMs = config.get('DB_REPLICA_MAX_LAG_MS');
    this.positionTtlMs = this.maxLagMs + 1000 + 4 * REPLICA_POLL_INTERVAL_MS;
    if (driver instanceof ReplicaRoutingPostgreSqlDriver) {
      this.driver = driver;
      driver
        .replicaConnections()
        .forEach((_connection, index) =>
          this.replicas.push({ name: replicaName(index), polledAt: 0, polling: false }),
        );
    }
  }

  /** True when DATABASE_REPLICA_URLS names at least one replica. */
  get enabled(): boolean {
    return this.driver !== undefined && this.replicas.length > 0;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    const redisUrl = this.config.get('REDIS_URL');
    this.positions = redisUrl
      ? new RedisReadPositions(redisUrl, this.positionTtlMs, (error) => this.positionError(error))
      : new MemoryReadPositions(this.positionTtlMs);
    this.driver!.router = this;
    this.metrics.watchReplicas(() => this.status());
    this.logger.log(
      `${this.replicas.length} read replica(s); max lag ${this.maxLagMs} ms; read-your-writes positions ${
        redisUrl ? 'in Redis (all instances)' : 'in memory (this instance only)'
      }`,
    );
    this.poll();
    this.timer = setInterval(() => this.poll(), REPLICA_POLL_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.driver) this.driver.router = undefined;
    await this.positions?.close();
  }

  /** Runs a read on a replica when one may answer it, else on the primary (also when the replica fails). */
  async read<T>(em: EntityManager, work: () => Promise<T>): Promise<T> {
    if (em.isInTransaction()) return this.onPrimary('transaction', work);
    if (!this.positions) return this.onPrimary('replica_down', work); // not started (or stopped)
    const actorId = RequestContext.current()?.actorId;
    const required = actorId ? await this.positions.required(actorId) : 0n;
    if (required === undefined) return this.onPrimary('position_unknown', work);
    const choice = this.choose(required);
    if (typeof choice === 'string') return this.onPrimary(choice, work);
    let result: T;
    try {
      result = await this.driver!.onReplica(choice, work);
    } catch (error) {
      if (isAnswerError(error)) throw error;
      // The replica failed (down, restarting, a recovery conflict): the primary answers instead.
      this.replicas[choice].polledAt = 0;
      this.replicas[choice].error = (error as Error).message;
      return this.onPrimary('replica_error', work);
    }
    this.metrics.recordDbRead('replica');
    return result;
  }

  /**
   * After a write of `userId` committed: remembers the primary's WAL position, which covers that
   * commit, so the user's next reads wait for a replica that has replayed it (or use the primary).
   * The insert position, not the write position: with `synchronous_commit = off` a commit record
   * may still sit in the WAL buffers, behind the write position, when COMMIT returns.
   */
  async rememberWrite(userId: string): Promise<void> {
    if (!this.enabled) return;
    try {
      const lsn = parseLsn(await walInsertPosition(this.driver!.primaryConnection()));
      await this.positions!.remember(userId, lsn ?? UNKNOWN_POSITION);
    } catch (error) {
      // The write may have committed all the same: this user reads from the primary for a while.
      this.logger.warn(`could not read the write position: ${(error as Error).message}`);
      await this.positions!.remember(userId, UNKNOWN_POSITION);
    }
  }

  /** Each replica's state, for /health/ready and the metrics. */
  status(): ReplicaStatus[] {
    const now = Date.now();
    return this.replicas.map((replica) => {
      if (!this.isUp(replica, now)) return { name: replica.name, state: 'down', error: replica.error };
      const lagMs = this.lagMs(replica, now);
      const state = lagMs === undefined || lagMs > this.maxLagMs ? 'lagging' : 'up';
      return { name: replica.name, state, lagMs };
    });
  }

  private async onPrimary<T>(reason: FallbackReason, work: () => Promise<T>): Promise<T> {
    this.metrics.recordReplicaFallback(reason);
    this.metrics.recordDbRead('primary');
    return work();
  }

  /** The replica to use (round-robin among those that may answer), or why none may. */
  private choose(required: bigint): number | FallbackReason {
    const now = Date.now();
    const up = this.replicas
      .map((replica, index) => ({ replica, index }))
      .filter(({ replica }) => this.isUp(replica, now));
    if (up.length === 0) return 'replica_down';
    const current = up.filter(({ replica }) => {
      const lag = this.lagMs(replica, now);
      return lag !== undefined && lag <= this.maxLagMs;
    });
    if (current.length === 0) return 'replica_lagging';
    const caughtUp = current.filter(({ replica }) => replica.replayLsn! >= required);
    if (caughtUp.length === 0) return 'own_write_not_replayed';
    this.next = (this.next + 1) % caughtUp.length;
    return caughtUp[this.next].index;
  }

  private isUp(replica: Replica, now: number): boolean {
    return replica.replayLsn !== undefined && now - replica.polledAt <= STALE_AFTER_MS;
  }

  /**
   * How long ago the primary first had WAL beyond what the replica has replayed (0: nothing beyond);
   * undefined when the primary's samples are too old to tell.
   */
  private lagMs(replica: Replica, now: number): number | undefined {
    if (
      this.samples.length === 0 ||
      now - this.primarySeenAt > STALE_AFTER_MS ||
      replica.replayLsn === undefined
    )
      return undefined;
    const firstAhead = this.samples.find((sample) => sample.lsn > replica.replayLsn!);
    return firstAhead ? now - firstAhead.at : 0;
  }

  private poll(): void {
    void this.pollPrimary();
    this.replicas.forEach((replica, index) => void this.pollReplica(replica, index));
  }

  private async pollPrimary(): Promise<void> {
    if (this.primaryPolling) return;
    this.primaryPolling = true;
    try {
      const lsn = parseLsn(await withTimeout(walWritePosition(this.driver!.primaryConnection())));
      if (lsn === undefined) return;
      const now = Date.now();
      const last = this.samples[this.samples.length - 1];
      // Only positions that moved matter to the lag: the first time the primary passed each one.
      if (!last || lsn > last.lsn) this.samples.push({ at: now, lsn });
      this.primarySeenAt = now;
      // Keep enough history to tell any lag up to the bound (beyond it, the exact value does not matter).
      const keepFrom = now - this.maxLagMs - 2 * STALE_AFTER_MS;
      while (this.samples.length > 1 && this.samples[1].at < keepFrom) this.samples.shift();
    } catch {
      // The primary does not answer: reads fail on it anyway; replicas are judged once it does.
    } finally {
      this.primaryPolling = false;
    }
  }

  private async pollReplica(replica: Replica, index: number): Promise<void> {
    if (replica.polling) return;
    replica.polling = true;
    try {
      const position = await withTimeout(replayPosition(this.driver!.replicaConnections()[index]));
      const lsn = parseLsn(position);
      if (lsn === undefined) {
        // Not in recovery: not a streaming replica (e.g. promoted); it serves no read.
        this.failing(replica, 'not a streaming replica (pg_last_wal_replay_lsn() is null)');
        return;
      }
      // The position as the replica reports it now (it may restart lower after a crash).
      replica.replayLsn = lsn;
      replica.polledAt = Date.now();
      replica.error = undefined;
      if (replica.logged !== 'answering') {
        replica.logged = 'answering';
        this.logger.log(`${replica.name} answers (replayed up to ${position})`);
      }
    } catch (error) {
      this.failing(replica, (error as Error).message);
    } finally {
      replica.polling = false;
    }
  }

  private failing(replica: Replica, message: string): void {
    replica.error = message;
    if (replica.logged === 'failing') return;
    replica.logged = 'failing';
    this.logger.warn(`${replica.name} does not serve reads (the primary answers them): ${message}`);
  }

  private positionError(error: Error): void {
    // One line per 10 s at most: Redis down would otherwise log on every request.
    if (Date.now() - this.lastPositionError < 10000) return;
    this.lastPositionError = Date.now();
    this.logger.warn(`read positions in Redis unavailable (reads go to the primary): ${error.message}`);
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${POLL_TIMEOUT_MS} ms`)), POLL_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
