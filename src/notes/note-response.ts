import { CustomerNotification } from './customer-notification.entity';
import { OrderNote } from './order-note.entity';
import { CustomerNoteResponse, NoteResponse } from './dto/note.dto';
import { NotificationResponse } from './dto/notification.dto';

/** Staff view of a note; `createdBy` must be loaded. */
export function toNoteResponse(note: OrderNote): NoteResponse {
  return {
    id: note.id,
    orderId: note.order.id,
    note: note.note,
    isInternal: note.isInternal,
    notifyCustomer: note.notifyCustomer,
    notifiedAt: note.notifiedAt ? note.notifiedAt.toISOString() : null,
    createdBy: {
      id: note.createdBy.id,
      fullName: note.createdBy.fullName,
      role: note.createdBy.role,
    },
    createdAt: note.createdAt.toISOString(),
    updatedAt: note.updatedAt.toISOString(),
  };
}

/**
 * Customer view of a public note (GET /me/orders/:id/notes): text and time only. No author, no
 * flags, nothing a customer could use to learn about staff or internal notes.
 */
export function toCustomerNoteResponse(note: OrderNote): CustomerNoteResponse {
  return { id: note.id, note: note.note, createdAt: note.createdAt.toISOString() };
}

export function toNotificationResponse(notification: CustomerNotification): NotificationResponse {
  return {
    id: notification.id,
    orderId: notification.order.id,
    noteId: notification.note?.id ?? null,
    channel: notification.channel,
    status: notification.status,
    attempts: notification.attempts,
    lastError: notification.lastError ?? null,
    nextAttemptAt: notification.nextAttemptAt.toISOString(),
    sentAt: notification.sentAt ? notification.sentAt.toISOString() : null,
    payload: notification.payload,
    createdAt: notification.createdAt.toISOString(),
    updatedAt: notification.updatedAt.toISOString(),
  };
}
