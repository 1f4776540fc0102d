import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, expectFieldError, http, sql, TestApp, TestUser } from './utils/app';
import { createOneItemOrder } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';
import { Order } from '../src/orders/order.entity';

interface HistoryRow {
  action: string;
  description: string;
  additional_data: Record<string, unknown> | null;
  performed_by_id: string | null;
}

describe('order notes (HTTP)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let otherSupport: TestUser;
  let warehouse: TestUser;
  let otherWarehouse: TestUser;
  let customer: TestUser;
  let order: Order;

  const notesOf = (orderId: string) => `/api/v1/orders/${orderId}/notes`;

  async function addNote(who: TestUser, body: Record<string, unknown>, orderId = order.id) {
    const res = await http(app).post(notesOf(orderId)).set(who.auth).send(body).expect(201);
    return res.body as { id: string; note: string; isInternal: boolean; notifyCustomer: boolean };
  }

  async function noteHistory(orderId: string): Promise<HistoryRow[]> {
    return sql<HistoryRow>(
      app,
      `select action, description, additional_data, performed_by_id from order_history
        where order_id = ? and action in ('note_added', 'edited') order by sequence`,
      [orderId],
    );
  }

  async function countNotes(orderId: string): Promise<number> {
    const [row] = await sql<{ n: number }>(
      app,
      'select count(*)::int as n from order_notes where order_id = ?',
      [orderId],
    );
    return row.n;
  }

  const newOrder = () => createOneItemOrder(app, customer.user);

  beforeAll(async () => {
    app = await createTestApp();
    [admin, support, otherSupport, warehouse, otherWarehouse, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.SUPPORT, { fullName: 'Sam Support' }),
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.CUSTOMER),
    ]);
    order = await newOrder();
  });

  afterAll(async () => {
    await app.close();
  });

  describe('create', () => {
    it('takes 20 notes written at once to one order, each with its entry, the chain intact (no deadlock)', async () => {
      const target = await newOrder();
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          http(app)
            .post(`/api/v1/orders/${target.id}/notes`)
            .set(i % 2 ? support.auth : admin.auth)
            .send({ note: `Update #${i}`, isInternal: false, notifyCustomer: true }),
        ),
      );
      expect(created.map((res) => res.status)).toEqual(created.map(() => 201));
      const entries = await sql<{ n: number }>(
        app,
        `select count(*)::int as n from order_history where order_id = ? and action = 'note_added'`,
        [target.id],
      );
      expect(entries[0].n).toBe(20);
      const outbox = await sql<{ n: number }>(
        app,
        'select count(*)::int as n from customer_notifications where order_id = ?',
        [target.id],
      );
      expect(outbox[0].n).toBe(20);
      const verify = await http(app)
        .get(`/api/v1/orders/${target.id}/history/verify`)
        .set(admin.auth)
        .expect(200);
      expect(verify.body).toMatchObject({ valid: true, firstBrokenEntryId: null });
    });

    it('adds an internal note by default and records note_added without the text', async () => {
      const target = await newOrder();
      const res = await http(app)
        .post(notesOf(target.id))
        .set(support.auth)
        .send({ note: 'Customer asked for a gift wrap' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        orderId: target.id,
        note: 'Customer asked for a gift wrap',
        isInternal: true,
        notifyCustomer: false,
        notifiedAt: null,
        createdBy: { id: support.user.id, fullName: 'Sam Support', role: 'support' },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const history = await noteHistory(target.id);
      expect(history).toEqual([
        {
          action: 'note_added',
          description: 'Internal note added',
          additional_data: { noteId: res.body.id, isInternal: true, notifyCustomer: false },
          performed_by_id: support.user.id,
        },
      ]);
      expect(JSON.stringify(history)).not.toContain('gift wrap');
    });

    it('lets every staff role write internal notes', async () => {
      for (const who of [admin, support, warehouse]) {
        const note = await addNote(who, { note: `internal by ${who.user.role}`, isInternal: true });
        expect(note.isInternal).toBe(true);
      }
    });

    it('refuses notifyCustomer on an internal note with a 400 naming the field, writing nothing', async () => {
      const target = await newOrder();
      for (const body of [
        { note: 'x', isInternal: true, notifyCustomer: true },
        { note: 'x', notifyCustomer: true }, // isInternal defaults to true
      ]) {
        const res = await http(app).post(notesOf(target.id)).set(admin.auth).send(body).expect(400);
        expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'notifyCustomer' })]);
      }
      expect(await countNotes(target.id)).toBe(0);
      expect(await noteHistory(target.id)).toEqual([]);
    });

    it('forbids warehouse staff public notes (403 with a clear detail), writing nothing', async () => {
      const target = await newOrder();
      for (const body of [
        { note: 'public', isInternal: false },
        { note: 'public', isInternal: false, notifyCustomer: true },
      ]) {
        const res = await http(app).post(notesOf(target.id)).set(warehouse.auth).send(body).expect(403);
        expect(res.body.detail).toBe(
          'Warehouse staff may only write internal notes (isInternal must be true)',
        );
      }
      expect(await countNotes(target.id)).toBe(0);
    });

    it('validates the body', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{}, 'note'],
        [{ note: '' }, 'note'],
        [{ note: '   ' }, 'note'],
        [{ note: 'a'.repeat(5001) }, 'note'],
        [{ note: 'ok', isInternal: 'yes' }, 'isInternal'],
        [{ note: 'ok', notifyCustomer: 1 }, 'notifyCustomer'],
        [{ note: 'ok', createdById: admin.user.id }, 'createdById'],
      ];
      for (const [body, field] of cases) {
        const res = await http(app).post(notesOf(order.id)).set(admin.auth).send(body).expect(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      await addNote(admin, { note: 'a'.repeat(5000) });
    });

    it('answers 404 for an unknown order and 400 for a malformed id', async () => {
      const res = await http(app).post(notesOf(randomUUID())).set(admin.auth).send({ note: 'x' }).expect(404);
      expect(res.body.code).toBe('NOT_FOUND');
      const bad = await http(app).post(notesOf('not-a-uuid')).set(admin.auth).send({ note: 'x' }).expect(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'orderId' })]);
    });

    it('honours Idempotency-Key: one note for a repeated request', async () => {
      const target = await newOrder();
      const key = randomUUID();
      const first = await http(app)
        .post(notesOf(target.id))
        .set(support.auth)
        .set('Idempotency-Key', key)
        .send({ note: 'once' })
        .expect(201);
      const again = await http(app)
        .post(notesOf(target.id))
        .set(support.auth)
        .set('Idempotency-Key', key)
        .send({ note: 'once' })
        .expect(201);
      expect(again.body).toEqual(first.body);
      expect(await countNotes(target.id)).toBe(1);
    });
  });

  describe('read', () => {
    let target: Order;
    const ids: string[] = [];

    beforeAll(async () => {
      target = await newOrder();
      // Sequential, so created_at increases.
      ids.push((await addNote(support, { note: 'n1 internal' }, target.id)).id);
      ids.push((await addNote(support, { note: 'n2 public', isInternal: false }, target.id)).id);
      ids.push((await addNote(warehouse, { note: 'n3 internal' }, target.id)).id);
      ids.push((await addNote(admin, { note: 'n4 public', isInternal: false }, target.id)).id);
    });

    it('lists an order’s notes newest first to every staff role', async () => {
      for (const who of [admin, support, warehouse]) {
        const res = await http(app).get(notesOf(target.id)).set(who.auth).expect(200);
        expect(res.body.data.map((n: { id: string }) => n.id)).toEqual([...ids].reverse());
        expect(res.body.meta).toEqual({ page: 1, pageSize: 20, total: 4, totalPages: 1 });
      }
    });

    it('filters by isInternal and paginates', async () => {
      const internal = await http(app)
        .get(notesOf(target.id))
        .query({ isInternal: 'true' })
        .set(support.auth);
      expect(internal.status).toBe(200);
      expect(internal.body.data.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[0]]);
      const publicOnly = await http(app)
        .get(notesOf(target.id))
        .query({ isInternal: false })
        .set(support.auth);
      expect(publicOnly.body.data.map((n: { id: string }) => n.id)).toEqual([ids[3], ids[1]]);

      const page2 = await http(app)
        .get(notesOf(target.id))
        .query({ page: 2, pageSize: 3 })
        .set(support.auth)
        .expect(200);
      expect(page2.body.data.map((n: { id: string }) => n.id)).toEqual([ids[0]]);
      expect(page2.body.meta).toEqual({ page: 2, pageSize: 3, total: 4, totalPages: 2 });

      const oldestFirst = await http(app)
        .get(notesOf(target.id))
        .query({ sort: 'createdAt' })
        .set(admin.auth);
      expect(oldestFirst.body.data.map((n: { id: string }) => n.id)).toEqual(ids);
    });

    it('rejects bad list queries', async () => {
      expectFieldError(
        await http(app).get(notesOf(target.id)).query({ pageSize: 101 }).set(admin.auth),
        'pageSize',
      );
      expectFieldError(
        await http(app).get(notesOf(target.id)).query({ sort: 'note' }).set(admin.auth),
        'sort',
      );
      expectFieldError(
        await http(app).get(notesOf(target.id)).query({ isInternal: 'maybe' }).set(admin.auth),
        'isInternal',
      );
      await http(app).get(notesOf(randomUUID())).set(admin.auth).expect(404);
    });

    it('reads one note; 404 when it does not exist', async () => {
      const res = await http(app).get(`/api/v1/notes/${ids[2]}`).set(warehouse.auth).expect(200);
      expect(res.body).toMatchObject({ id: ids[2], note: 'n3 internal', orderId: target.id });
      await http(app).get(`/api/v1/notes/${randomUUID()}`).set(support.auth).expect(404);
      await http(app).get('/api/v1/notes/nope').set(support.auth).expect(400);
    });
  });

  describe('roles', () => {
    it('gives customers 403 on every staff route, and 401 without a token', async () => {
      const note = await addNote(support, { note: 'staff only', isInternal: false });
      const calls = [
        http(app).post(notesOf(order.id)).send({ note: 'hi' }),
        http(app).get(notesOf(order.id)),
        http(app).get(`/api/v1/notes/${note.id}`),
        http(app).patch(`/api/v1/notes/${note.id}`).send({ note: 'changed' }),
        http(app).delete(`/api/v1/notes/${note.id}`),
        http(app).get('/api/v1/notifications'),
        http(app).post(`/api/v1/notifications/${randomUUID()}/retry`),
      ];
      for (const call of calls) {
        const res = await call.set(customer.auth);
        expect(res.status).toBe(403);
      }
      await http(app).get(notesOf(order.id)).expect(401);
      await http(app).get(`/api/v1/notes/${note.id}`).expect(401);
      const [row] = await sql<{ note: string }>(app, 'select note from order_notes where id = ?', [note.id]);
      expect(row.note).toBe('staff only');
    });

    it('keeps warehouse staff out of the notifications routes', async () => {
      await http(app).get('/api/v1/notifications').set(warehouse.auth).expect(403);
      await http(app).post(`/api/v1/notifications/${randomUUID()}/retry`).set(warehouse.auth).expect(403);
    });
  });

  describe('edit and delete', () => {
    it('lets the author edit text and visibility, with before and after in history', async () => {
      const target = await newOrder();
      const note = await addNote(support, { note: 'first text' }, target.id);
      const res = await http(app)
        .patch(`/api/v1/notes/${note.id}`)
        .set(support.auth)
        .send({ note: 'second text', isInternal: false })
        .expect(200);
      expect(res.body).toMatchObject({
        id: note.id,
        note: 'second text',
        isInternal: false,
        notifyCustomer: false,
      });
      const history = await noteHistory(target.id);
      expect(history[1]).toEqual({
        action: 'edited',
        description: 'Internal note edited (note, isInternal)',
        additional_data: {
          noteId: note.id,
          before: { note: 'first text', isInternal: true, notifyCustomer: false },
          after: { note: 'second text', isInternal: false, notifyCustomer: false },
        },
        performed_by_id: support.user.id,
      });
    });

    it('writes no history for an edit that changes nothing', async () => {
      const target = await newOrder();
      const note = await addNote(support, { note: 'same' }, target.id);
      await http(app).patch(`/api/v1/notes/${note.id}`).set(support.auth).send({ note: 'same' }).expect(200);
      await http(app).patch(`/api/v1/notes/${note.id}`).set(support.auth).send({}).expect(200);
      expect((await noteHistory(target.id)).map((h) => h.action)).toEqual(['note_added']);
    });

    it('lets an admin edit and delete anyone’s note', async () => {
      const note = await addNote(warehouse, { note: 'by warehouse' });
      const edited = await http(app)
        .patch(`/api/v1/notes/${note.id}`)
        .set(admin.auth)
        .send({ note: 'fixed by admin' })
        .expect(200);
      // The text changes; the note stays its author's.
      expect(edited.body).toMatchObject({
        id: note.id,
        note: 'fixed by admin',
        createdBy: { id: warehouse.user.id },
      });
      const read = await http(app).get(`/api/v1/notes/${note.id}`).set(admin.auth).expect(200);
      expect(read.body.note).toBe('fixed by admin');
      await http(app).delete(`/api/v1/notes/${note.id}`).set(admin.auth).expect(204);
      await http(app).get(`/api/v1/notes/${note.id}`).set(admin.auth).expect(404);
    });

    it('forbids other staff to edit or delete (403), changing nothing', async () => {
      const note = await addNote(support, { note: 'mine' });
      for (const who of [otherSupport, warehouse]) {
        const patch = await http(app)
          .patch(`/api/v1/notes/${note.id}`)
          .set(who.auth)
          .send({ note: 'theirs' });
        expect(patch.status).toBe(403);
        expect(patch.body.detail).toBe('Only the author of a note or an admin may change or delete it');
        await http(app).delete(`/api/v1/notes/${note.id}`).set(who.auth).expect(403);
      }
      const wNote = await addNote(warehouse, { note: 'warehouse note' });
      await http(app)
        .patch(`/api/v1/notes/${wNote.id}`)
        .set(otherWarehouse.auth)
        .send({ note: 'x' })
        .expect(403);
      await http(app).delete(`/api/v1/notes/${wNote.id}`).set(support.auth).expect(403);
      const rows = await sql<{ note: string }>(
        app,
        'select note from order_notes where id in (?, ?) order by note',
        [note.id, wNote.id],
      );
      expect(rows.map((r) => r.note)).toEqual(['mine', 'warehouse note']);
    });

    it('re-checks the visibility rules on edit', async () => {
      const internal = await addNote(support, { note: 'internal' });
      const res = await http(app)
        .patch(`/api/v1/notes/${internal.id}`)
        .set(support.auth)
        .send({ notifyCustomer: true })
        .expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'notifyCustomer' })]);

      const notifying = await addNote(support, { note: 'public', isInternal: false, notifyCustomer: true });
      await http(app)
        .patch(`/api/v1/notes/${notifying.id}`)
        .set(support.auth)
        .send({ isInternal: true })
        .expect(400);

      const mine = await addNote(warehouse, { note: 'warehouse internal' });
      await http(app)
        .patch(`/api/v1/notes/${mine.id}`)
        .set(warehouse.auth)
        .send({ isInternal: false })
        .expect(403);
      await http(app)
        .patch(`/api/v1/notes/${mine.id}`)
        .set(warehouse.auth)
        .send({ note: 'still internal' })
        .expect(200);
    });

    it('validates edits and answers 404 for an unknown note', async () => {
      const note = await addNote(support, { note: 'x' });
      expectFieldError(
        await http(app).patch(`/api/v1/notes/${note.id}`).set(support.auth).send({ note: '' }),
        'note',
      );
      await http(app)
        .patch(`/api/v1/notes/${note.id}`)
        .set(support.auth)
        .send({ note: 'b'.repeat(5001) })
        .expect(400);
      await http(app)
        .patch(`/api/v1/notes/${note.id}`)
        .set(support.auth)
        .send({ orderId: order.id })
        .expect(400);
      await http(app).patch(`/api/v1/notes/${randomUUID()}`).set(admin.auth).send({ note: 'y' }).expect(404);
      await http(app).delete(`/api/v1/notes/${randomUUID()}`).set(admin.auth).expect(404);
    });

    it('deletes the author’s own note and keeps the text in history', async () => {
      const target = await newOrder();
      const note = await addNote(warehouse, { note: 'to be removed' }, target.id);
      const res = await http(app).delete(`/api/v1/notes/${note.id}`).set(warehouse.auth).expect(204);
      expect(res.body).toEqual({});
      expect(await countNotes(target.id)).toBe(0);
      const history = await noteHistory(target.id);
      expect(history[1]).toEqual({
        action: 'edited',
        description: 'Internal note deleted',
        additional_data: {
          noteId: note.id,
          deleted: true,
          before: { note: 'to be removed', isInternal: true, notifyCustomer: false },
        },
        performed_by_id: warehouse.user.id,
      });
    });

    it('serialises concurrent edits: each history entry starts where the previous ended', async () => {
      const target = await newOrder();
      const note = await addNote(support, { note: 'v0' }, target.id);
      const texts = ['v1', 'v2', 'v3', 'v4', 'v5'];
      const results = await Promise.all(
        texts.map((text) =>
          http(app).patch(`/api/v1/notes/${note.id}`).set(support.auth).send({ note: text }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const edits = (await noteHistory(target.id)).filter((h) => h.action === 'edited');
      expect(edits).toHaveLength(5);
      const chain = edits.map(
        (e) => e.additional_data as { before: { note: string }; after: { note: string } },
      );
      expect(chain[0].before.note).toBe('v0');
      for (let i = 1; i < chain.length; i++) expect(chain[i].before.note).toBe(chain[i - 1].after.note);
      const [row] = await sql<{ note: string }>(app, 'select note from order_notes where id = ?', [note.id]);
      expect(row.note).toBe(chain[4].after.note);
      expect(chain.map((c) => c.after.note).sort()).toEqual(texts);
    });
  });
});
