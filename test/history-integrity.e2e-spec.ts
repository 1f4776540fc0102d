import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Module, Param, Post } from '@nestjs/common';
import { IsBoolean, IsEnum, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { createTestApp, createUser, freshEm, http, sql, TestApp, TestUser } from './utils/app';
import { createOneItemOrder, createVariantWithStock } from './utils/factories';
import { Roles } from '../src/common/decorators';
import { ConflictError } from '../src/common/errors';
import { ParseIdPipe } from '../src/common/parse-id.pipe';
import { UnitOfWork } from '../src/common/unit-of-work';
import { STAFF_ROLES, UserRole } from '../src/identity/user-role.enum';
import { Order } from '../src/orders/order.entity';
import { OrderStatus } from '../src/orders/order-status.enum';
import { HistoryModule } from '../src/history/history.module';
import { OrderHistoryService } from '../src/history/order-history.service';
import { HistoryVerifyService } from '../src/history/history-verify.service';
import { OrderHistoryAction as A } from '../src/history/order-history-action.enum';
import { OrderHistoryRepository } from '../src/history/order-history.repository';

// A test-only route that records history inside a real HTTP request (and can fail after it).
class ProbeDto {
  @IsEnum(A)
  action: A;

  @IsString()
  @MaxLength(2000)
  description: string;

  @IsOptional()
  @IsObject()
  additionalData?: Record<string, unknown>;

  @IsOptional()
  @IsBoolean()
  fail?: boolean;
}

@Controller('history-probe')
@Roles(...STAFF_ROLES)
class HistoryProbeController {
  constructor(private readonly history: OrderHistoryService) {}

  @Post(':orderId')
  @HttpCode(200)
  async record(@Param('orderId', ParseIdPipe) orderId: string, @Body() dto: ProbeDto) {
    // A status change and its entry (not a confirmation): the probe tests that both commit or roll
    // back with the request's transaction.
    const entry = await this.history.recordOrderChange({
      order: orderId,
      action: dto.action,
      oldStatus: OrderStatus.PENDING,
      newStatus: OrderStatus.CONFIRMED,
      description: dto.description,
      additionalData: dto.additionalData,
    });
    if (dto.fail) throw new ConflictError('The change failed after its history entry was recorded');
    return { id: entry.id };
  }
}

@Module({ imports: [HistoryModule], controllers: [HistoryProbeController] })
class HistoryProbeModule {}

interface Row {
  id: string;
  sequence: number;
  action: string;
  description: string;
  performed_by_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  additional_data: Record<string, unknown> | null;
  previous_hash: string | null;
  hash: string;
}

describe('history integrity: same transaction, append-only, tamper evidence, concurrency', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp({}, { imports: [HistoryProbeModule] });
    [admin, support, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.CUSTOMER),
    ]);
  });

  afterAll(async () => {
    await app.close();
  });

  const newOrder = () => createOneItemOrder(app, customer.user);

  function rows(orderId: string): Promise<Row[]> {
    return sql<Row>(
      app,
      `select id, sequence, action, description, performed_by_id, ip_address, user_agent, additional_data,
              previous_hash, hash
       from order_history where order_id = ? order by sequence`,
      [orderId],
    );
  }

  function verify(orderId: string) {
    return app.get(UnitOfWork).read('test-verify', () => app.get(HistoryVerifyService).verify(orderId));
  }

  async function recordAll(
    order: Order,
    actions: A[],
    additionalData?: Record<string, unknown>,
  ): Promise<void> {
    await app.get(UnitOfWork).run('test-history', async () => {
      for (const action of actions) {
        await app
          .get(OrderHistoryService)
          .record({ order: order.id, action, description: `${action}`, additionalData });
      }
    });
  }

  /**
   * Changes order_history as the database owner would: the append-only trigger is disabled, the
   * rows changed and the trigger enabled again in ONE short transaction (ALTER TABLE locks the
   * table; other sessions never see the trigger disabled).
   */
  async function tamper(statement: string, params: unknown[]): Promise<void> {
    const em = freshEm(app);
    await em.transactional(async (tx) => {
      await tx.execute('alter table order_history disable trigger order_history_append_only');
      await tx.execute(statement, params);
      await tx.execute('alter table order_history enable trigger order_history_append_only');
    });
  }

  describe('performer, IP and user agent from a real HTTP request', () => {
    it('captures them from the request context, with the entry in the request’s transaction', async () => {
      const order = await newOrder();
      const res = await http(app)
        .post(`/api/v1/history-probe/${order.id}`)
        .set(support.auth)
        .set('User-Agent', 'AuditBrowser/1.0 (+tests)')
        .send({ action: A.CONFIRMED, description: 'Confirmed over HTTP', additionalData: { via: 'http' } })
        .expect(200);
      const entry = (await rows(order.id)).find((row) => row.id === res.body.id)!;
      expect(entry).toMatchObject({
        sequence: 2,
        action: 'confirmed',
        performed_by_id: support.user.id,
        user_agent: 'AuditBrowser/1.0 (+tests)',
        additional_data: { via: 'http' },
      });
      expect(entry.ip_address).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);

      const api = await http(app).get(`/api/v1/history/${entry.id}`).set(admin.auth).expect(200);
      expect(api.body).toMatchObject({
        performedBy: { id: support.user.id, fullName: 'Test support', role: 'support' },
        ipAddress: entry.ip_address,
        userAgent: 'AuditBrowser/1.0 (+tests)',
      });
      const [order2] = await sql<{ status: string }>(app, 'select status from orders where id = ?', [
        order.id,
      ]);
      expect(order2.status).toBe('confirmed');
      expect(await verify(order.id)).toEqual({ valid: true, entries: 2, firstBrokenEntryId: null });
    });

    it('captures them on the real order routes, and their chain verifies', async () => {
      const { variant } = await createVariantWithStock(app, 5);
      const agent = 'BackOffice/2.3 (order desk)';
      const placed = await http(app)
        .post('/api/v1/orders')
        .set(support.auth)
        .set('User-Agent', agent)
        .set('Idempotency-Key', randomUUID())
        .send({
          customerId: customer.user.id,
          currency: 'EUR',
          items: [{ variantId: variant.id, quantity: 2, unitPrice: '4.50' }],
          shippingAddress: {
            name: 'Jane Doe',
            line1: '1 Main Street',
            city: 'Berlin',
            postalCode: '10115',
            country: 'DE',
          },
        })
        .expect(201);
      const orderId = placed.body.id as string;
      await http(app)
        .post(`/api/v1/orders/${orderId}/confirm`)
        .set(admin.auth)
        .set('User-Agent', agent)
        .send({})
        .expect(200);
      const list = await http(app)
        .get(`/api/v1/orders/${orderId}/history?pageSize=100`)
        .set(admin.auth)
        .expect(200);
      const entries = list.body.data as Array<
        Record<string, unknown> & { performedBy: { id: string } | null }
      >;
      expect(entries[0]).toMatchObject({ action: 'created', newStatus: 'pending', userAgent: agent });
      expect(entries[0].performedBy?.id).toBe(support.user.id);
      expect(entries.find((e) => e.action === 'confirmed')).toMatchObject({
        oldStatus: 'pending',
        newStatus: 'confirmed',
        performedBy: { id: admin.user.id, role: 'admin' },
        userAgent: agent,
        ipAddress: expect.stringMatching(/127\.0\.0\.1|::1/),
      });
      const verified = await http(app)
        .get(`/api/v1/orders/${orderId}/history/verify`)
        .set(admin.auth)
        .expect(200);
      expect(verified.body).toEqual({ valid: true, entries: entries.length, firstBrokenEntryId: null });
    });

    it('keeps at most 512 characters of a user agent, and the hash still recomputes', async () => {
      const order = await newOrder();
      await http(app)
        .post(`/api/v1/history-probe/${order.id}`)
        .set(support.auth)
        .set('User-Agent', `Long/${'x'.repeat(600)}`)
        .send({ action: A.EDITED, description: 'long agent' })
        .expect(200);
      const [, entry] = await rows(order.id);
      expect(entry.user_agent).toHaveLength(512);
      expect(await verify(order.id)).toMatchObject({ valid: true, entries: 2 });
    });

    it('records the system (no performer, IP or user agent) for a job', async () => {
      const order = await newOrder();
      await recordAll(order, [A.INVENTORY_RELEASED]);
      const [, entry] = await rows(order.id);
      expect(entry).toMatchObject({ performed_by_id: null, ip_address: null, user_agent: null });
    });
  });

  describe('the entry commits or rolls back with the change it records', () => {
    it('rolls back with a failing request: no entry, no change', async () => {
      const order = await newOrder();
      const res = await http(app)
        .post(`/api/v1/history-probe/${order.id}`)
        .set(support.auth)
        .send({ action: A.CONFIRMED, description: 'will roll back', fail: true });
      expect(res.status).toBe(409);
      expect((await rows(order.id)).map((r) => r.action)).toEqual(['created']);
      const [row] = await sql<{ status: string }>(app, 'select status from orders where id = ?', [order.id]);
      expect(row.status).toBe('pending');
    });

    it('rolls back with a failing unit of work, and the chain goes on from the committed head', async () => {
      const order = await newOrder();
      await expect(
        app.get(UnitOfWork).run('test-failing', async () => {
          // Fault injection: a change and its entry, then a failure; neither may survive.
          await app.get(OrderHistoryService).recordOrderChange({
            order: order.id,
            action: A.CANCELLED,
            oldStatus: 'pending',
            newStatus: 'cancelled',
            description: 'never happened',
          });
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect((await rows(order.id)).map((r) => r.action)).toEqual(['created']);
      const [row] = await sql<{ status: string }>(app, 'select status from orders where id = ?', [order.id]);
      expect(row.status).toBe('pending');
      await recordAll(order, [A.CONFIRMED]);
      expect((await rows(order.id)).map((r) => [r.sequence, r.action])).toEqual([
        [1, 'created'],
        [2, 'confirmed'],
      ]);
      expect(await verify(order.id)).toEqual({ valid: true, entries: 2, firstBrokenEntryId: null });
    });

    it('refuses to record outside a unit of work, and an action that is not one of the 18', async () => {
      const order = await newOrder();
      await expect(
        app
          .get(UnitOfWork)
          .read('test-no-tx', () =>
            app.get(OrderHistoryService).record({ order: order.id, action: A.EDITED, description: 'x' }),
          ),
      ).rejects.toThrow(/inside the unit of work/);
      await expect(
        app
          .get(UnitOfWork)
          .run('test-bad-action', () =>
            app
              .get(OrderHistoryService)
              .record({ order: order.id, action: 'teleported' as A, description: 'x' }),
          ),
      ).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect((await rows(order.id)).map((r) => r.action)).toEqual(['created']);
    });
  });

  describe('the database refuses to change history', () => {
    let order: Order;
    beforeAll(async () => {
      order = await newOrder();
    });

    it.each([
      ['UPDATE', 'update order_history set description = ? where order_id = ?', ['rewritten']],
      [
        'UPDATE (matching no row)',
        'update order_history set description = ? where id = ?',
        ['x', randomUUID()],
      ],
      ['DELETE', 'delete from order_history where order_id = ?', []],
      ['TRUNCATE', 'truncate order_history', []],
    ])('refuses %s', async (_label, statement, params) => {
      const bound = statement.includes('order_id = ?') ? [...params, order.id] : params;
      await expect(sql(app, statement, bound)).rejects.toThrow(/order_history is append-only/);
      expect(await rows(order.id)).toHaveLength(1);
    });
  });

  describe('verify finds tampering', () => {
    it('finds an edited entry, naming it', async () => {
      const order = await newOrder();
      await recordAll(order, [A.CONFIRMED, A.PAYMENT_RECEIVED, A.SHIPPED]);
      expect(await verify(order.id)).toEqual({ valid: true, entries: 4, firstBrokenEntryId: null });
      const [, second] = await rows(order.id);
      await tamper('update order_history set description = ? where id = ?', [
        'Confirmed (edited)',
        second.id,
      ]);
      expect((await rows(order.id))[1].description).toBe('Confirmed (edited)');
      expect(await verify(order.id)).toEqual({ valid: false, entries: 4, firstBrokenEntryId: second.id });
      const res = await http(app)
        .get(`/api/v1/orders/${order.id}/history/verify`)
        .set(admin.auth)
        .expect(200);
      expect(res.body).toEqual({ valid: false, entries: 4, firstBrokenEntryId: second.id });
    });

    it('finds an edit that also recomputes the edited entry’s own hash: the next link breaks', async () => {
      const order = await newOrder();
      await recordAll(order, [A.CONFIRMED, A.SHIPPED]);
      const [stored] = await sql<{ id: string }>(
        app,
        `select id from order_history h where order_id = ? and sequence = 2`,
        [order.id],
      );
      // The forger knows the hash definition: the edited entry's own hash is right again.
      await tamper(
        `update order_history h set performed_by_id = ?,
                hash = order_history_hash(h.id, h.order_id, h.sequence, h.action::text, h.old_status, h.new_status,
                                          h.description, ?, h.additional_data, h.ip_address, h.user_agent,
                                          h.created_at, h.previous_hash)
          where id = ?`,
        [admin.user.id, admin.user.id, stored.id],
      );
      const [, , third] = await rows(order.id);
      expect(await verify(order.id)).toEqual({ valid: false, entries: 3, firstBrokenEntryId: third.id });
    });

    it('finds a removed entry (the next one no longer links) and a changed timestamp', async () => {
      const removed = await newOrder();
      await recordAll(removed, [A.CONFIRMED, A.SHIPPED, A.DELIVERED]);
      const [, second, third] = await rows(removed.id);
      await tamper('delete from order_history where id = ?', [second.id]);
      expect(await verify(removed.id)).toEqual({ valid: false, entries: 3, firstBrokenEntryId: third.id });
      // Read window by window, the gap is stepped over and every remaining entry still read.
      const seen: number[][] = [];
      for await (const batch of new OrderHistoryRepository(freshEm(app)).readChain(removed.id, {
        batchSize: 2,
      })) {
        seen.push(batch.map((row) => row.sequence));
      }
      expect(seen).toEqual([[1], [3, 4]]);

      const retimed = await newOrder();
      await recordAll(retimed, [A.CONFIRMED]);
      const [first] = await rows(retimed.id);
      // One microsecond: invisible to JavaScript dates, still a change.
      await tamper(
        `update order_history set created_at = created_at + interval '1 microsecond' where id = ?`,
        [first.id],
      );
      expect(await verify(retimed.id)).toEqual({ valid: false, entries: 2, firstBrokenEntryId: first.id });
    });

    it('finds the newest entries removed: the head kept on the order row names a longer chain', async () => {
      const order = await newOrder();
      await recordAll(order, [A.CONFIRMED, A.SHIPPED]);
      const [, , last] = await rows(order.id);
      await tamper('delete from order_history where id = ?', [last.id]);
      expect(await verify(order.id)).toEqual({ valid: false, entries: 2, firstBrokenEntryId: null });
      // Appending after the removal does not heal it: the new entry links to the removed one.
      await recordAll(order, [A.DELIVERED]);
      const chain = await rows(order.id);
      expect(chain.map((r) => r.sequence)).toEqual([1, 2, 4]);
      expect(await verify(order.id)).toEqual({ valid: false, entries: 3, firstBrokenEntryId: chain[2].id });
    });

    it('finds changed JSON data but not a rewrite that leaves it equal', async () => {
      const order = await newOrder();
      await recordAll(order, [A.EDITED], { diff: { quantity: { from: 1, to: 2 } }, note: 'x' });
      const [, entry] = await rows(order.id);
      await tamper(`update order_history set additional_data = ?::jsonb where id = ?`, [
        '{"note": "x", "diff": {"quantity": {"to": 2, "from": 1}}}',
        entry.id,
      ]);
      expect(await verify(order.id)).toMatchObject({ valid: true });
      await tamper(
        `update order_history set additional_data = jsonb_set(additional_data, '{diff,quantity,to}', '3') where id = ?`,
        [entry.id],
      );
      expect(await verify(order.id)).toEqual({ valid: false, entries: 2, firstBrokenEntryId: entry.id });
    });
  });

  it('keeps the hash reproducible for awkward content (unicode, NUL, lone surrogates, numbers, dates)', async () => {
    const order = await newOrder();
    await app.get(UnitOfWork).run('test-awkward', async () => {
      await app.get(OrderHistoryService).record({
        order: order.id,
        action: A.EDITED,
        description: 'Größe 😀 "quoted", new\nline\u0000 lone \uD83D end',
        additionalData: {
          zeta: 1,
          alpha: { when: new Date('2026-01-02T03:04:05.678Z'), gone: undefined, nan: Number.NaN },
          numbers: [0.1, -0, 1e21, 1e-7, 123456789.123, Number.MAX_SAFE_INTEGER],
          ключ: ['ü', '😀', '\u2028'],
          empty: {},
          list: [],
          nothing: null,
        },
      });
    });
    const [, entry] = await rows(order.id);
    expect(entry.description).toBe('Größe 😀 "quoted", new\nline lone \uFFFD end');
    expect(entry.additional_data).toEqual({
      zeta: 1,
      alpha: { when: '2026-01-02T03:04:05.678Z', nan: null },
      numbers: [0.1, 0, 1e21, 1e-7, 123456789.123, Number.MAX_SAFE_INTEGER],
      ключ: ['ü', '😀', '\u2028'],
      empty: {},
      list: [],
      nothing: null,
    });
    expect(await verify(order.id)).toEqual({ valid: true, entries: 2, firstBrokenEntryId: null });
  });

  it('keeps a gap-free chain when 20 transactions record for one order at once', async () => {
    const order = await newOrder();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app.get(UnitOfWork).run(`test-parallel-${i}`, () =>
          app.get(OrderHistoryService).record({
            order: order.id,
            action: A.NOTE_ADDED,
            description: `parallel ${i}`,
            additionalData: { i },
          }),
        ),
      ),
    );
    const chain = await rows(order.id);
    expect(chain.map((r) => r.sequence)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    chain.slice(1).forEach((row, i) => expect(row.previous_hash).toBe(chain[i].hash));
    expect(new Set(chain.map((r) => r.additional_data?.i)).size).toBe(21); // 20 distinct + created (undefined)
    expect(await verify(order.id)).toEqual({ valid: true, entries: 21, firstBrokenEntryId: null });
  });

  it('keeps several entries for one order in one transaction in order', async () => {
    const order = await newOrder();
    await recordAll(order, [A.CONFIRMED, A.INVENTORY_RESERVED, A.INVENTORY_RESERVED, A.PAYMENT_RECEIVED]);
    const chain = await rows(order.id);
    expect(chain.map((r) => [r.sequence, r.action])).toEqual([
      [1, 'created'],
      [2, 'confirmed'],
      [3, 'inventory_reserved'],
      [4, 'inventory_reserved'],
      [5, 'payment_received'],
    ]);
    expect(await verify(order.id)).toEqual({ valid: true, entries: 5, firstBrokenEntryId: null });
  });
});
