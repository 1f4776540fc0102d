import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, http, TestApp, TestUser } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { NoteBody, postNote } from './utils/notes';
import { UnitOfWork } from '../src/common/unit-of-work';
import { NotFoundError } from '../src/common/errors';
import { UserRole } from '../src/identity/user-role.enum';
import { Order } from '../src/orders/order.entity';
import { NotesService } from '../src/notes/notes.service';
import { toCustomerNoteResponse } from '../src/notes/note-response';

/**
 * What a customer may see of notes. GET /me/orders/:id/notes is mounted by the order lifecycle on
 * NotesService.customerVisible + toCustomerNoteResponse, so both are tested here directly.
 */
describe('order notes for customers (NotesService.customerVisible)', () => {
  let app: TestApp;
  let support: TestUser;
  let customerA: TestUser;
  let customerB: TestUser;
  let orderA: Order;
  let orderB: Order;
  const publicIds: string[] = [];

  const visible = (orderId: string, customerId: string, page?: { page: number; pageSize: number }) =>
    app
      .get(UnitOfWork)
      .read('test-customer-notes', () => app.get(NotesService).customerVisible(orderId, customerId, page));

  const addNote = (order: Order, body: NoteBody) => postNote(app, support, order.id, body);

  beforeAll(async () => {
    app = await createTestApp();
    [support, customerA, customerB] = await Promise.all([
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.CUSTOMER),
      createUser(app, UserRole.CUSTOMER),
    ]);
    const { variant } = await createVariantWithStock(app, 10);
    orderA = (await createOrder(app, customerA.user, [{ variant, quantity: 1 }])).order;
    orderB = (await createOrder(app, customerB.user, [{ variant, quantity: 2 }])).order;

    await addNote(orderA, { note: 'SECRET-A1 internal: customer is difficult' });
    publicIds.push(await addNote(orderA, { note: 'Your parcel is being packed', isInternal: false }));
    await addNote(orderA, { note: 'SECRET-A2 internal' });
    publicIds.push(
      await addNote(orderA, { note: 'Your parcel ships today', isInternal: false, notifyCustomer: true }),
    );
    const madeInternal = await addNote(orderA, { note: 'SECRET-A3 was public', isInternal: false });
    await http(app)
      .patch(`/api/v1/notes/${madeInternal}`)
      .set(support.auth)
      .send({ isInternal: true })
      .expect(200);
    const deleted = await addNote(orderA, { note: 'SECRET-A4 deleted public', isInternal: false });
    await http(app).delete(`/api/v1/notes/${deleted}`).set(support.auth).expect(204);

    await addNote(orderB, { note: 'B public note', isInternal: false });
  });

  afterAll(async () => {
    await app.close();
  });

  it('returns only the public notes of the customer’s own order, newest first', async () => {
    const page = await visible(orderA.id, customerA.user.id);
    expect(page.data.map((n) => n.id)).toEqual([...publicIds].reverse());
    expect(page.meta).toEqual({ page: 1, pageSize: 20, total: 2, totalPages: 1 });
    const shown = JSON.stringify(page.data.map(toCustomerNoteResponse));
    expect(shown).not.toContain('SECRET');
  });

  it('maps a note to id, text and time only: no author, no flags', async () => {
    const page = await visible(orderA.id, customerA.user.id);
    const mapped = page.data.map(toCustomerNoteResponse);
    expect(mapped[0]).toEqual({
      id: publicIds[1],
      note: 'Your parcel ships today',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
    });
    for (const note of mapped) expect(Object.keys(note).sort()).toEqual(['createdAt', 'id', 'note']);
  });

  it('paginates', async () => {
    const second = await visible(orderA.id, customerA.user.id, { page: 2, pageSize: 1 });
    expect(second.data.map((n) => n.id)).toEqual([publicIds[0]]);
    expect(second.meta).toEqual({ page: 2, pageSize: 1, total: 2, totalPages: 2 });
  });

  it('treats another customer’s order as not found (BOLA), never as an empty list', async () => {
    await expect(visible(orderA.id, customerB.user.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(visible(orderB.id, customerA.user.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(visible(randomUUID(), customerA.user.id)).rejects.toBeInstanceOf(NotFoundError);
    // A staff member's id is not a customer of the order either.
    await expect(visible(orderA.id, support.user.id)).rejects.toBeInstanceOf(NotFoundError);
    // The same error for "exists but not yours" and "does not exist": nothing to tell them apart.
    const notYours = await visible(orderA.id, customerB.user.id).catch((e: Error) => e.message);
    const missingId = randomUUID();
    const missing = await visible(missingId, customerB.user.id).catch((e: Error) => e.message);
    expect(notYours).toBe(`Order ${orderA.id} was not found`);
    expect(missing).toBe(`Order ${missingId} was not found`);
  });

  it('answers an own order without public notes with an empty list', async () => {
    const { variant } = await createVariantWithStock(app, 1);
    const quiet = (await createOrder(app, customerB.user, [{ variant, quantity: 1 }])).order;
    await addNote(quiet, { note: 'SECRET internal only' });
    const page = await visible(quiet.id, customerB.user.id);
    expect(page.data).toEqual([]);
    expect(page.meta.total).toBe(0);
  });

  it('keeps internal note text out of the customer notification outbox', async () => {
    const pending = await app
      .get(UnitOfWork)
      .read('test-pending', () => app.get(NotesService).pendingNotifications({ orderId: orderA.id }));
    expect(pending.map((n) => n.id)).toEqual([publicIds[1]]);
  });
});
