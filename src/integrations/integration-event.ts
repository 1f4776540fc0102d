import { FeedEntry, FeedPosition } from '../history/history-feed.service';
import { isNoteHistoryEntry } from '../notes/note-history';
import { BadRequestError } from '../common/errors';
import { OrderHistoryAction } from '../history/order-history-action.enum';

/** An order event as integrators receive it (GET /events, webhook bodies). */
export interface IntegrationEvent {
  /** The history entry's id; receivers deduplicate on it. */
  id: string;
  /** The history action: confirmed, shipped, … */
  type: string;
  orderId: string;
  orderNumber: string;
  /** The entry's place in its order's chain, from 1. */
  sequence: number;
  occurredAt: string;
  data: {
    oldStatus: string | null;
    newStatus: string | null;
    /** The staff member who acted; null for the system (jobs). */
    performedById: string | null;
    details: Record<string, unknown> | null;
  };
}

const A = OrderHistoryAction;
const FULFILLMENT_MOVE = ['fulfillmentId', 'fulfillmentNumber', 'from', 'to'];
const RESERVATION_CHANGE = [
  'change',
  'reservationId',
  'orderItemId',
  'productVariantId',
  'sku',
  'stockLocationId',
  'stockLocationCode',
  'quantity',
  'quantityReserved',
  'quantityFulfilled',
  'isActive',
  'releaseReason',
  'expiresAt',
  'previousExpiresAt',
];
/** What an order edit's before/after may show (the same keys carry note texts in note edits). */
const ORDER_EDIT_FIELDS = ['items', 'totalAmount', 'shippingAddress'];

/**
 * The detail keys an integrator may see, per action: an allow-list, so that a key a module adds
 * later (a staff comment, a note text) stays out of events until it is listed here. Not listed on
 * purpose: fulfillment `notes` (free text the warehouse types on a status move), the confirmation's
 * `strategy` (an implementation class name), anything about notes but their id.
 */
export const EVENT_DETAIL_KEYS: Record<OrderHistoryAction, readonly string[]> = {
  [A.CREATED]: ['items', 'totalAmount', 'currency'],
  [A.CONFIRMED]: ['reservations', 'pinned'],
  [A.PAYMENT_RECEIVED]: ['amount', 'reference', 'amountPaid'],
  [A.PAYMENT_FAILED]: ['amount', 'reference'],
  [A.PROCESSING_STARTED]: FULFILLMENT_MOVE,
  [A.PACKED]: FULFILLMENT_MOVE,
  [A.SHIPPED]: [
    ...FULFILLMENT_MOVE,
    'warehouseLocation',
    'items',
    'reservationId',
    'direct',
    'orderComplete',
  ],
  [A.DELIVERED]: [],
  [A.CANCELLED]: ['reason', 'reservationsReleased', 'fulfillmentsCancelled'],
  [A.REFUNDED]: ['amount', 'reason', 'amountRefunded', 'amountPaid', 'fullyRefunded'],
  // Fulfillment created, moved (picking, packing, …) or cancelled with its order.
  [A.STATUS_CHANGED]: [...FULFILLMENT_MOVE, 'warehouseLocation', 'items', 'reason'],
  [A.NOTE_ADDED]: ['noteId'],
  [A.RETURN_REQUESTED]: ['reason', 'requestedBy', 'items'],
  [A.RETURNED]: ['items', 'complete', 'unitsNotReturned'],
  [A.EDITED]: ['before', 'after'],
  [A.ASSIGNED]: ['fulfillmentId', 'fulfillmentNumber', 'assignedToId', 'previousAssignedToId'],
  [A.INVENTORY_RESERVED]: RESERVATION_CHANGE,
  [A.INVENTORY_RELEASED]: RESERVATION_CHANGE,
};

function pick(data: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (key in data) picked[key] = data[key];
  return picked;
}

/**
 * The entry's details an integrator may see: the keys its action allows (EVENT_DETAIL_KEYS).
 * Entries written by notes keep only the note's id and the deletion flag (their before/after hold
 * note texts, possibly of internal notes). IP addresses, user agents and the staff-written
 * description are not details and never part of an event.
 */
function safeDetails(entry: FeedEntry): Record<string, unknown> | null {
  const data = entry.additionalData;
  if (!data) return null;
  if (isNoteHistoryEntry(entry)) {
    const details: Record<string, unknown> = {};
    if (typeof data.noteId === 'string') details.noteId = data.noteId;
    if (data.deleted === true) details.deleted = true;
    return details;
  }
  const details = pick(data, EVENT_DETAIL_KEYS[entry.action as OrderHistoryAction] ?? []);
  if (entry.action === A.EDITED) {
    for (const side of ['before', 'after']) {
      const value = details[side];
      if (value && typeof value === 'object') {
        details[side] = pick(value as Record<string, unknown>, ORDER_EDIT_FIELDS);
      }
    }
  }
  return details;
}

export function toIntegrationEvent(entry: FeedEntry): IntegrationEvent {
  return {
    id: entry.id,
    type: entry.action,
    orderId: entry.orderId,
    orderNumber: entry.orderNumber,
    sequence: entry.sequence,
    occurredAt: entry.createdAt.toISOString(),
    data: {
      oldStatus: entry.oldStatus,
      newStatus: entry.newStatus,
      performedById: entry.performedById,
      details: safeDetails(entry),
    },
  };
}

/**
 * An event as stored in a delivery's payload (jsonb keeps keys in its own order), with the fields
 * back in the documented order for the request body.
 */
export function storedEvent(payload: Record<string, unknown>): IntegrationEvent {
  const event = payload as unknown as IntegrationEvent;
  return {
    id: event.id,
    type: event.type,
    orderId: event.orderId,
    orderNumber: event.orderNumber,
    sequence: event.sequence,
    occurredAt: event.occurredAt,
    data: {
      oldStatus: event.data.oldStatus,
      newStatus: event.data.newStatus,
      performedById: event.data.performedById,
      details: event.data.details,
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The feed cursor handed to readers: opaque base64url of the position. */
export function encodeCursor(position: FeedPosition): string {
  return Buffer.from(`${position.xid}.${position.orderId}.${position.sequence}`, 'utf8').toString(
    'base64url',
  );
}

export function decodeCursor(cursor: string): FeedPosition {
  const invalid = () =>
    new BadRequestError('Invalid cursor', [
      { field: 'after', message: 'must be a nextCursor value of GET /events' },
    ]);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  if (parts.length !== 3) throw invalid();
  const [xid, orderId, sequence] = parts;
  if (
    !/^\d{1,20}$/.test(xid) ||
    BigInt(xid) > 2n ** 64n - 1n ||
    !UUID.test(orderId) ||
    !/^\d{1,10}$/.test(sequence)
  ) {
    throw invalid();
  }
  const seq = Number(sequence);
  if (seq > 2147483647) throw invalid();
  return { xid, orderId: orderId.toLowerCase(), sequence: seq };
}
