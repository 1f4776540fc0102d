import { http, TestApp, TestUser } from './app';

/** What POST /orders/:id/notes takes (left loose: tests also send wrong values). */
export type NoteBody = Record<string, unknown>;

/** Adds a note to order `orderId` through the API as `author` (expects 201); returns the note's id. */
export async function postNote(
  app: TestApp,
  author: TestUser,
  orderId: string,
  body: NoteBody,
): Promise<string> {
  const res = await http(app).post(`/api/v1/orders/${orderId}/notes`).set(author.auth).send(body).expect(201);
  return res.body.id;
}

/** A public note that asks to notify the customer (queues a customer notification). */
export function notifyCustomer(
  app: TestApp,
  author: TestUser,
  orderId: string,
  text: string,
): Promise<string> {
  return postNote(app, author, orderId, { note: text, isInternal: false, notifyCustomer: true });
}
