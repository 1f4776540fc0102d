import { AsyncLocalStorage } from 'node:async_hooks';
import { HttpException } from '@nestjs/common';
import { RequestContext as OrmRequestContext, TransactionContext } from '@mikro-orm/core';
import type {
  AnyEntity,
  ConnectionType,
  EntityData,
  EntityManager,
  LoggingOptions,
  QueryResult,
  Transaction,
} from '@mikro-orm/core';
import { PostgreSqlConnection, PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Knex } from '@mikro-orm/postgresql';
import { DomainError } from '../common/errors';

/** application_name of the replica connections: what an operator (or a test) sees on the replica. */
export const REPLICA_APPLICATION_NAME = 'oms-replica-read';

/** The replica chosen for the read in flight (its index); unset = the primary. */
const replicaScope = new AsyncLocalStorage<number>();

/**
 * The ORM options that add the replicas of DATABASE_REPLICA_URLS; nothing when it is unset (the
 * default driver, no replica connection: nothing changes). MikroORM's own `replicas` option gives
 * each replica its pool (same pool settings and session timeouts as the primary); the routing
 * driver below makes sure no statement goes to one implicitly.
 */
export function replicaOrmOptions(urls: string | undefined) {
  const list = parseReplicaUrls(urls);
  if (list.length === 0) return {};
  return {
    driver: ReplicaRoutingPostgreSqlDriver,
    preferReadReplicas: false,
    replicas: list.map((clientUrl, index) => ({
      name: replicaName(index),
      clientUrl,
      driverOptions: {
        connection: { application_name: REPLICA_APPLICATION_NAME, connectionTimeoutMillis: 2000 },
      },
    })),
  };
}

export function parseReplicaUrls(urls: string | undefined): string[] {
  return (urls ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
}

export const replicaName = (index: number) => `replica-${index}`;

/** What decides, per read, whether a replica may answer it (ReplicaRouter). */
export interface ReplicaReadRouter {
  read<T>(em: EntityManager, work: () => Promise<T>): Promise<T>;
}

/**
 * PostgreSqlDriver whose statements go to a replica only inside `replicaScope` (an explicit
 * replica read), and never inside a transaction. Everything else — writes, locks, transactions,
 * reads nobody marked, and MikroORM's own `connectionType: 'read'` — stays on the primary.
 */
export class ReplicaRoutingPostgreSqlDriver extends PostgreSqlDriver {
  /** Whether this process has any replica configured: without, a marked read is a plain call. */
  static inUse = false;

  router?: ReplicaReadRouter;

  constructor(...args: ConstructorParameters<typeof PostgreSqlDriver>) {
    super(...args);
    ReplicaRoutingPostgreSqlDriver.inUse = true;
  }

  override getConnection(_type: ConnectionType = 'write'): PostgreSqlConnection {
    const chosen = replicaScope.getStore();
    return chosen === undefined ? this.connection : this.replicas[chosen];
  }

  override async execute<
    T extends QueryResult | EntityData<AnyEntity> | EntityData<AnyEntity>[] = EntityData<AnyEntity>[],
  >(
    queryOrKnex: string | Knex.QueryBuilder | Knex.Raw,
    params: unknown[] = [],
    method: 'all' | 'get' | 'run' = 'all',
    ctx?: Transaction,
    loggerContext?: LoggingOptions,
  ): Promise<T> {
    const chosen = replicaScope.getStore();
    if (chosen === undefined || ctx) return super.execute<T>(queryOrKnex, params, method, ctx, loggerContext);
    return this.rethrow(
      this.replicas[chosen].execute<T>(queryOrKnex, params, method, undefined, loggerContext),
    );
  }

  replicaConnections(): PostgreSqlConnection[] {
    return this.replicas;
  }

  primaryConnection(): PostgreSqlConnection {
    return this.connection;
  }

  /** Runs `work` with every statement it sends going to replica `index`. */
  onReplica<T>(index: number, work: () => Promise<T>): Promise<T> {
    return replicaScope.run(index, work);
  }
}

/** True while the code runs inside a replica read (nested replica reads just join it). */
export function inReplicaRead(): boolean {
  return replicaScope.getStore() !== undefined;
}

/**
 * Runs `work` (a read) on a replica if one may answer it, else on the primary; the result is the
 * same either way. Without replicas configured this is `work()` and nothing else. A replica that
 * may not answer: inside a write transaction, lagging beyond DB_REPLICA_MAX_LAG_MS, down, or not
 * yet caught up with the calling user's own last write.
 */
export function readFromReplica<T>(work: () => Promise<T>): Promise<T> {
  if (!ReplicaRoutingPostgreSqlDriver.inUse || inReplicaRead()) return work();
  // Inside a transaction the request's own fork does not know it is in one (a fork does not follow
  // the transaction context): ask the transaction's EntityManager first.
  const em = TransactionContext.getEntityManager() ?? OrmRequestContext.getEntityManager();
  const driver = em?.getDriver();
  if (!em || !(driver instanceof ReplicaRoutingPostgreSqlDriver) || !driver.router) return work();
  return driver.router.read(em, work);
}

/**
 * Marks a read that a read replica may answer: a read whose result is shown, never one that
 * decides a write (see readFromReplica). On a GET handler, every statement of the request goes to
 * the one server chosen; on a repository or service method, those of that call. Keeps the
 * method's metadata (route, OpenAPI), so it may sit anywhere in a controller's decorator list.
 */
export function MayReadFromReplica(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (...args: unknown[]) => Promise<unknown>;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      return readFromReplica(() => original.apply(this, args));
    };
    for (const key of Reflect.getMetadataKeys(original) as unknown[]) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
    }
    Object.defineProperty(wrapped, 'name', { value: original.name });
    descriptor.value = wrapped;
    return descriptor;
  };
}

/** An error of the request itself (not found, forbidden...): the primary would answer the same. */
export function isAnswerError(error: unknown): boolean {
  return error instanceof DomainError || error instanceof HttpException;
}

/** A PostgreSQL WAL position ('16/B374D848') as a number, for comparing. */
export function parseLsn(lsn: string | null | undefined): bigint | undefined {
  if (!lsn) return undefined;
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}
