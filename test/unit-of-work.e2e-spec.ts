import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Module, Post, Query } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { IsEmail, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Roles } from '../src/common/decorators';
import { ConflictError } from '../src/common/errors';
import { MAX_TRANSACTION_ATTEMPTS, UnitOfWork } from '../src/common/unit-of-work';
import { HistoryModule } from '../src/history/history.module';
import { OrderHistoryService } from '../src/history/order-history.service';
import { OrderHistoryAction } from '../src/history/order-history-action.enum';
import { IdentityModule } from '../src/identity/identity.module';
import { User } from '../src/identity/user.entity';
import { UserRole } from '../src/identity/user-role.enum';
import { UsersService } from '../src/identity/users.service';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';

class WriteDto {
  @IsString()
  @MaxLength(100)
  marker: string;

  @IsUUID()
  orderId: string;

  /** A user whose name a raw SQL statement changes inside the same transaction. */
  @IsUUID()
  sqlUserId: string;

  @IsOptional()
  @IsEmail()
  duplicateEmail?: string;
}

const SERIALIZATION_FAILURE = `do $$ begin raise exception 'simulated' using errcode = 'serialization_failure'; end $$`;

/**
 * Test-only routes (never shipped): each writes through every path a service has — a new entity
 * (UsersService), a history entry (OrderHistoryService) and a raw SQL statement (em.execute) — and
 * then fails in a different way.
 */
@Controller('uow-test')
@Roles(UserRole.ADMIN)
class UnitOfWorkTestController {
  static readonly attempts = new Map<string, number>();

  constructor(
    private readonly users: UsersService,
    private readonly history: OrderHistoryService,
    private readonly em: EntityManager,
  ) {}

  private async writeEverything(dto: WriteDto): Promise<void> {
    const attempt = (UnitOfWorkTestController.attempts.get(dto.marker) ?? 0) + 1;
    UnitOfWorkTestController.attempts.set(dto.marker, attempt);
    await this.users.create({
      email: `${dto.marker}@uow.test`,
      password: 'long-enough-password',
      fullName: dto.marker,
      role: UserRole.CUSTOMER,
    });
    await this.history.record({
      order: dto.orderId,
      action: OrderHistoryAction.NOTE_ADDED,
      description: dto.marker,
    });
    await this.em.execute('update users set full_name = ? where id = ?', [dto.marker, dto.sqlUserId]);
  }

  @Post('commit')
  async commit(@Body() dto: WriteDto) {
    await this.writeEverything(dto);
    return { ok: true };
  }

  @Post('domain-error')
  async domainError(@Body() dto: WriteDto) {
    await this.writeEverything(dto);
    throw new ConflictError('deliberate failure after writing');
  }

  @Post('crash')
  async crash(@Body() dto: WriteDto) {
    await this.writeEverything(dto);
    throw new Error('deliberate crash after writing');
  }

  /** The handler returns normally; the flush at commit fails on the unique email. */
  @Post('flush-fails')
  async flushFails(@Body() dto: WriteDto) {
    await this.writeEverything(dto);
    this.em.persist(new User(dto.duplicateEmail!, 'x', 'Duplicate', UserRole.CUSTOMER));
    return { ok: true };
  }

  /** Fails with a serialization failure on the first attempt only. */
  @Post('serialization-failure-once')
  async serializationFailureOnce(@Body() dto: WriteDto) {
    await this.writeEverything(dto);
    if (UnitOfWorkTestController.attempts.get(dto.marker) === 1) await this.em.execute(SERIALIZATION_FAILURE);
    return { attempts: UnitOfWorkTestController.attempts.get(dto.marker) };
  }

  @Post('serialization-failure-always')
  async serializationFailureAlways(@Body() dto: WriteDto) {
    await this.writeEverything(dto);
    await this.em.execute(SERIALIZATION_FAILURE);
  }

  /** Reads are not a unit of work: nothing is flushed. */
  @Get('persist-in-read')
  persistInRead(@Query('marker') marker: string) {
    this.em.persist(new User(`${marker}@uow.test`, 'x', marker, UserRole.CUSTOMER));
    return { ok: true };
  }
}

@Module({ imports: [IdentityModule, HistoryModule], controllers: [UnitOfWorkTestController] })
class UnitOfWorkTestModule {}

describe('unit of work: one transaction per mutating request', () => {
  let app: TestApp;
  let admin: TestUser;
  let orderId: string;
  let sqlUser: TestUser;

  beforeAll(async () => {
    app = await createTestApp({}, { imports: [UnitOfWorkTestModule] });
    admin = await createUser(app, UserRole.ADMIN);
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant } = await createVariantWithStock(app, 10);
    orderId = (await createOrder(app, customer.user, [{ variant, quantity: 1 }])).order.id;
    sqlUser = await createUser(app, UserRole.CUSTOMER, { fullName: 'Original Name' });
  });

  afterAll(async () => {
    await app.close();
  });

  const body = (extra: Partial<WriteDto> = {}) => ({
    marker: `uow-${randomUUID()}`,
    orderId,
    sqlUserId: sqlUser.user.id,
    ...extra,
  });

  /** What of a request's writes reached the database. */
  async function written(marker: string) {
    const users = await sql(app, 'select id from users where email = ?', [`${marker}@uow.test`]);
    const history = await sql(app, 'select id from order_history where order_id = ? and description = ?', [
      orderId,
      marker,
    ]);
    const [named] = await sql<{ full_name: string }>(app, 'select full_name from users where id = ?', [
      sqlUser.user.id,
    ]);
    return { users: users.length, history: history.length, sqlUpdate: named.full_name === marker };
  }

  it('commits every write of a successful request together (control)', async () => {
    const dto = body();
    await http(app).post('/api/v1/uow-test/commit').set(admin.auth).send(dto).expect(201);
    expect(await written(dto.marker)).toEqual({ users: 1, history: 1, sqlUpdate: true });
    await sql(app, 'update users set full_name = ? where id = ?', ['Original Name', sqlUser.user.id]);
  });

  it('a domain error after writing leaves nothing behind (entity, history entry, raw SQL)', async () => {
    const dto = body();
    const res = await http(app).post('/api/v1/uow-test/domain-error').set(admin.auth).send(dto);
    expect(res.status).toBe(409);
    expect(res.body.detail).toBe('deliberate failure after writing');
    expect(await written(dto.marker)).toEqual({ users: 0, history: 0, sqlUpdate: false });
  });

  it('an unexpected error after writing leaves nothing behind', async () => {
    const dto = body();
    const res = await http(app).post('/api/v1/uow-test/crash').set(admin.auth).send(dto);
    expect(res.status).toBe(500);
    expect(await written(dto.marker)).toEqual({ users: 0, history: 0, sqlUpdate: false });
  });

  it('a failure of the final flush (unique violation) rolls back the writes before it: 409', async () => {
    const dto = body({ duplicateEmail: admin.user.email });
    const res = await http(app).post('/api/v1/uow-test/flush-fails').set(admin.auth).send(dto);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
    expect(await written(dto.marker)).toEqual({ users: 0, history: 0, sqlUpdate: false });
  });

  it('a serialization failure (40001) is retried: the second attempt commits, exactly once', async () => {
    const dto = body();
    const res = await http(app).post('/api/v1/uow-test/serialization-failure-once').set(admin.auth).send(dto);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ attempts: 2 });
    expect(await written(dto.marker)).toEqual({ users: 1, history: 1, sqlUpdate: true });
    await sql(app, 'update users set full_name = ? where id = ?', ['Original Name', sqlUser.user.id]);
  });

  it(`gives up after ${MAX_TRANSACTION_ATTEMPTS} attempts with a 409 and nothing written`, async () => {
    const dto = body();
    const res = await http(app)
      .post('/api/v1/uow-test/serialization-failure-always')
      .set(admin.auth)
      .send(dto);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'CONFLICT', detail: expect.stringMatching(/try again/) });
    expect(UnitOfWorkTestController.attempts.get(dto.marker)).toBe(MAX_TRANSACTION_ATTEMPTS);
    expect(await written(dto.marker)).toEqual({ users: 0, history: 0, sqlUpdate: false });
  });

  it('a GET is not a unit of work: an entity persisted while reading is never flushed', async () => {
    const marker = `uow-${randomUUID()}`;
    await http(app).get(`/api/v1/uow-test/persist-in-read?marker=${marker}`).set(admin.auth).expect(200);
    expect((await written(marker)).users).toBe(0);
  });

  it('a @NoTransaction() POST (login) runs without a transaction: hashing holds no connection in one', async () => {
    const statements: string[] = [];
    const knex = app.get(EntityManager).getConnection().getKnex();
    const listen = (query: { sql: string }) => statements.push(query.sql.trim().toUpperCase());
    knex.on('query', listen);
    try {
      await http(app)
        .post('/api/v1/auth/login')
        .send({ email: admin.user.email, password: admin.password })
        .expect(200);
      const loginStatements = statements.splice(0);
      expect(loginStatements.length).toBeGreaterThan(0);
      expect(loginStatements.filter((s) => /^(BEGIN|COMMIT|ROLLBACK)/.test(s))).toEqual([]);
      // Control: an ordinary mutating route still runs in its transaction.
      await http(app).post('/api/v1/uow-test/commit').set(admin.auth).send(body()).expect(201);
      expect(statements.filter((s) => /^(BEGIN|COMMIT)/.test(s))).toEqual(['BEGIN;', 'COMMIT;']);
    } finally {
      knex.removeListener('query', listen);
      await sql(app, 'update users set full_name = ? where id = ?', ['Original Name', sqlUser.user.id]);
    }
  });

  it('history entries take performer, IP and user agent from the request context', async () => {
    const dto = body();
    await http(app)
      .post('/api/v1/uow-test/commit')
      .set(admin.auth)
      .set('User-Agent', 'uow-test-agent/1.0')
      .send(dto)
      .expect(201);
    const [entry] = await sql<{ performed_by_id: string; ip_address: string; user_agent: string }>(
      app,
      'select performed_by_id, ip_address, user_agent from order_history where order_id = ? and description = ?',
      [orderId, dto.marker],
    );
    expect(entry).toEqual({
      performed_by_id: admin.user.id,
      ip_address: expect.stringMatching(/127\.0\.0\.1|::1/),
      user_agent: 'uow-test-agent/1.0',
    });
    await sql(app, 'update users set full_name = ? where id = ?', ['Original Name', sqlUser.user.id]);
  });

  it('UnitOfWork.run gives jobs the same all-or-nothing transaction, with no actor', async () => {
    const marker = `uow-${randomUUID()}`;
    await expect(
      app.get(UnitOfWork).run('test-job', async (em) => {
        await app.get(UsersService).create({
          email: `${marker}@uow.test`,
          password: 'long-enough-password',
          fullName: marker,
          role: UserRole.CUSTOMER,
        });
        await app.get(OrderHistoryService).record({
          order: orderId,
          action: OrderHistoryAction.NOTE_ADDED,
          description: marker,
        });
        await em.execute('update users set full_name = ? where id = ?', [marker, sqlUser.user.id]);
        throw new Error('job failed');
      }),
    ).rejects.toThrow('job failed');
    expect(await written(marker)).toEqual({ users: 0, history: 0, sqlUpdate: false });

    await app.get(UnitOfWork).run('test-job', async () => {
      await app.get(OrderHistoryService).record({
        order: orderId,
        action: OrderHistoryAction.NOTE_ADDED,
        description: marker,
      });
    });
    const [entry] = await sql<{ performed_by_id: string | null }>(
      app,
      'select performed_by_id from order_history where order_id = ? and description = ?',
      [orderId, marker],
    );
    expect(entry.performed_by_id).toBeNull();
  });
});
