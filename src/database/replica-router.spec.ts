import { RequestContext as OrmRequestContext, TransactionContext } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { AppConfig } from '../config/app-config';
import { RequestContext } from '../common/request-context';
import { DomainError } from '../common/errors';
import { MetricsService } from '../metrics/metrics.service';
import { inReplicaRead, parseLsn, readFromReplica, ReplicaRoutingPostgreSqlDriver } from './read-replicas';
import { MemoryReadPositions } from './read-positions';
import { REPLICA_POLL_INTERVAL_MS, ReplicaRouter } from './replica-router';

const lsn = (n: number) => `0/${n.toString(16).toUpperCase()}`;

/** A router on a fake primary and one fake replica whose WAL positions the test moves. */
function makeRouter(maxLagMs = 1000) {
  const wal = { primary: 100, replica: 100, replicaDown: false };
  const primary = { execute: jest.fn(() => Promise.resolve([{ lsn: lsn(wal.primary) }])) };
  const replica = {
    execute: jest.fn(() =>
      wal.replicaDown
        ? Promise.reject(new Error('connect ECONNREFUSED'))
        : Promise.resolve([{ lsn: lsn(wal.replica) }]),
    ),
  };
  const driver = Object.create(ReplicaRoutingPostgreSqlDriver.prototype) as ReplicaRoutingPostgreSqlDriver;
  Object.assign(driver, { replicaConnections: () => [replica], primaryConnection: () => primary });
  const orm = { em: { getDriver: () => driver } } as unknown as MikroORM;
  const settings: Record<string, unknown> = { DB_REPLICA_MAX_LAG_MS: maxLagMs, REDIS_URL: undefined };
  const config = { get: (key: string) => settings[key] } as unknown as AppConfig;
  const metrics = {
    recordDbRead: jest.fn(),
    recordReplicaFallback: jest.fn(),
    watchReplicas: jest.fn(),
  };
  const router = new ReplicaRouter(orm, config, metrics as unknown as MetricsService);
  const em = { isInTransaction: () => false } as unknown as EntityManager;
  /** Where a read of `userId` runs: 'replica' or 'primary'. */
  const whereRuns = (userId?: string) =>
    RequestContext.run({ requestId: 'test', actorId: userId }, () =>
      router.read(em, () => Promise.resolve(inReplicaRead() ? 'replica' : 'primary')),
    );
  return { router, wal, metrics, em, whereRuns, replica, primary };
}

describe('ReplicaRouter', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('is disabled, and wires nothing, without replicas (the default driver)', () => {
    const orm = { em: { getDriver: () => ({}) } } as unknown as MikroORM;
    const router = new ReplicaRouter(orm, { get: () => 1000 } as unknown as AppConfig, {} as MetricsService);
    expect(router.enabled).toBe(false);
    router.onModuleInit();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sends a read to the replica once it has been seen up and caught up', async () => {
    const { router, whereRuns, metrics } = makeRouter();
    router.onModuleInit();
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    expect(await whereRuns('u1')).toBe('replica');
    expect(metrics.recordDbRead).toHaveBeenLastCalledWith('replica');
    await router.onApplicationShutdown();
  });

  it("keeps a user's reads on the primary until the replica has replayed that user's write; others use the replica", async () => {
    const { router, wal, whereRuns, metrics } = makeRouter(60_000);
    router.onModuleInit();
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    wal.primary = 200; // the user's write committed on the primary; the replica is at 100
    await RequestContext.run({ requestId: 'w' }, () => router.rememberWrite('writer'));
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    expect(await whereRuns('writer')).toBe('primary');
    expect(metrics.recordReplicaFallback).toHaveBeenLastCalledWith('own_write_not_replayed');
    expect(await whereRuns('someone-else')).toBe('replica');
    wal.replica = 199;
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    expect(await whereRuns('writer')).toBe('primary');
    wal.replica = 200;
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    expect(await whereRuns('writer')).toBe('replica');
    await router.onApplicationShutdown();
  });

  it("keeps a user's reads on the primary when the position of their write could not be read", async () => {
    const { router, whereRuns, primary } = makeRouter(60_000);
    router.onModuleInit();
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    primary.execute.mockImplementationOnce(() =>
      Promise.reject(new Error('timeout exceeded when trying to connect')),
    );
    await router.rememberWrite('writer');
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    expect(await whereRuns('writer')).toBe('primary');
    expect(await whereRuns('someone-else')).toBe('replica');
    await router.onApplicationShutdown();
  });

  it('stops using a replica lagging beyond DB_REPLICA_MAX_LAG_MS, and reports it lagging, until it catches up', async () => {
    const { router, wal, whereRuns, metrics } = makeRouter(1000);
    router.onModuleInit();
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    wal.primary = 300; // the primary moves on, the replica does not replay
    await jest.advanceTimersByTimeAsync(900);
    expect(router.status()[0].state).toBe('up'); // behind, but within the bound
    expect(await whereRuns()).toBe('replica');
    await jest.advanceTimersByTimeAsync(300);
    expect(router.status()[0]).toMatchObject({ state: 'lagging' });
    expect(router.status()[0].lagMs).toBeGreaterThan(1000);
    expect(await whereRuns()).toBe('primary');
    expect(metrics.recordReplicaFallback).toHaveBeenLastCalledWith('replica_lagging');
    wal.replica = 300;
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    expect(router.status()[0]).toEqual({ name: 'replica-0', state: 'up', lagMs: 0 });
    expect(await whereRuns()).toBe('replica');
    await router.onApplicationShutdown();
  });

  it('falls back to the primary when the replica is down, and uses it again when it is back', async () => {
    const { router, wal, whereRuns, metrics } = makeRouter();
    router.onModuleInit();
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    wal.replicaDown = true;
    await jest.advanceTimersByTimeAsync(1200);
    expect(router.status()[0].state).toBe('down');
    expect(await whereRuns()).toBe('primary');
    expect(metrics.recordReplicaFallback).toHaveBeenLastCalledWith('replica_down');
    wal.replicaDown = false;
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    expect(await whereRuns()).toBe('replica');
    await router.onApplicationShutdown();
  });

  it('answers from the primary when the read fails on the replica; an error of the answer itself is not retried', async () => {
    const { router, em, metrics } = makeRouter();
    router.onModuleInit();
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    const places: string[] = [];
    const result = await router.read(em, () => {
      places.push(inReplicaRead() ? 'replica' : 'primary');
      return inReplicaRead() ? Promise.reject(new Error('Connection terminated')) : Promise.resolve('rows');
    });
    expect(result).toBe('rows');
    expect(places).toEqual(['replica', 'primary']);
    expect(metrics.recordReplicaFallback).toHaveBeenLastCalledWith('replica_error');

    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    const notFound = new DomainError(404, 'NOT_FOUND', 'no such order');
    let runs = 0;
    await expect(
      router.read(em, () => {
        runs++;
        return Promise.reject(notFound);
      }),
    ).rejects.toBe(notFound);
    expect(runs).toBe(1);
    await router.onApplicationShutdown();
  });

  it('never sends a read inside a transaction to a replica', async () => {
    const { router, metrics } = makeRouter();
    router.onModuleInit();
    await jest.advanceTimersByTimeAsync(REPLICA_POLL_INTERVAL_MS);
    const inTransaction = { isInTransaction: () => true } as unknown as EntityManager;
    expect(await router.read(inTransaction, () => Promise.resolve(inReplicaRead()))).toBe(false);
    expect(metrics.recordReplicaFallback).toHaveBeenLastCalledWith('transaction');
    await router.onApplicationShutdown();
  });
});

describe('readFromReplica', () => {
  it('runs the read as it is, outside any replica scope, without replicas', async () => {
    expect(await readFromReplica(() => Promise.resolve(inReplicaRead()))).toBe(false);
  });

  it("hands the router the transaction's EntityManager inside a write transaction (the request's fork does not know it is in one)", async () => {
    const driver = Object.create(ReplicaRoutingPostgreSqlDriver.prototype) as ReplicaRoutingPostgreSqlDriver;
    const seen: boolean[] = [];
    driver.router = {
      read: <T>(em: EntityManager, work: () => Promise<T>) => {
        seen.push(em.isInTransaction());
        return work();
      },
    };
    const fake = (inTransaction: boolean) => {
      const em = {
        name: 'default',
        getDriver: () => driver,
        isInTransaction: () => inTransaction,
        fork: () => em,
      };
      return em as unknown as EntityManager;
    };
    const read = () => readFromReplica(() => Promise.resolve('rows'));
    ReplicaRoutingPostgreSqlDriver.inUse = true; // as when the ORM has created its routing driver
    try {
      await OrmRequestContext.create(fake(false), async () => {
        await read();
        await TransactionContext.create(fake(true), read);
      });
    } finally {
      ReplicaRoutingPostgreSqlDriver.inUse = false;
    }
    expect(seen).toEqual([false, true]);
  });
});

describe('MemoryReadPositions', () => {
  it('keeps the furthest position of a user while it lives, and forgets it after its TTL', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const positions = new MemoryReadPositions(1000);
      await positions.remember('u', 500n);
      await positions.remember('u', 300n); // an earlier write that finished later
      expect(await positions.required('u')).toBe(500n);
      expect(await positions.required('other')).toBe(0n);
      jest.advanceTimersByTime(1001);
      expect(await positions.required('u')).toBe(0n);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('parseLsn', () => {
  it('reads PostgreSQL WAL positions in order', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')! > parseLsn('0/FFFFFFFF')!).toBe(true);
    expect(parseLsn(null)).toBeUndefined();
    expect(parseLsn('nonsense')).toBeUndefined();
  });
});
