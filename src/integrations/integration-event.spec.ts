import { DomainError } from '../common/errors';
import { decodeCursor, encodeCursor, toIntegrationEvent } from './integration-event';

describe('feed cursor', () => {
  it('round-trips a position and refuses anything else', () => {
    const position = {
      xid: '18446744073709551615',
      orderId: '0b7c5f4e-9f51-4bb5-b0d6-2f4a3c1d9e11',
      sequence: 7,
    };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    for (const bad of [
      '',
      'x',
      Buffer.from('1.2.3').toString('base64url'),
      Buffer.from(`18446744073709551616.${position.orderId}.1`).toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(DomainError);
    }
  });
});

describe('toIntegrationEvent', () => {
  const entry = {
    id: 'e1',
    position: { xid: '5', orderId: 'o1', sequence: 3 },
    orderId: 'o1',
    orderNumber: 'ORD-1',
    sequence: 3,
    oldStatus: null,
    newStatus: null,
    performedById: 'u1',
    createdAt: new Date('2026-12-05T00:00:00Z'),
  };

  it('keeps only the note id of note entries (no texts)', () => {
    const event = toIntegrationEvent({
      ...entry,
      action: 'edited',
      additionalData: { noteId: 'n1', before: { note: 'secret text' }, after: { note: 'new text' } },
    });
    expect(event).toEqual({
      id: 'e1',
      type: 'edited',
      orderId: 'o1',
      orderNumber: 'ORD-1',
      sequence: 3,
      occurredAt: '2026-12-05T00:00:00.000Z',
      data: { oldStatus: null, newStatus: null, performedById: 'u1', details: { noteId: 'n1' } },
    });
  });

  it('keeps only the allowed detail keys of each action: no fulfillment notes, no unknown keys', () => {
    const moved = toIntegrationEvent({
      ...entry,
      action: 'packed',
      additionalData: {
        fulfillmentId: 'f1',
        fulfillmentNumber: 'FUL-2026-000001',
        from: 'packing',
        to: 'ready_to_ship',
        notes: 'SECRET: fragile, the customer is a difficult one',
        addedLater: 'anything',
      },
    });
    expect(moved.data.details).toEqual({
      fulfillmentId: 'f1',
      fulfillmentNumber: 'FUL-2026-000001',
      from: 'packing',
      to: 'ready_to_ship',
    });
    const edited = toIntegrationEvent({
      ...entry,
      action: 'edited',
      additionalData: {
        before: { totalAmount: '10.00', comment: 'x' },
        after: { totalAmount: '20.00', comment: 'y' },
      },
    });
    expect(edited.data.details).toEqual({
      before: { totalAmount: '10.00' },
      after: { totalAmount: '20.00' },
    });
    expect(
      toIntegrationEvent({ ...entry, action: 'delivered', additionalData: { x: 1 } }).data.details,
    ).toEqual({});
  });

  it('passes the details of other entries', () => {
    const event = toIntegrationEvent({
      ...entry,
      action: 'shipped',
      additionalData: { fulfillmentId: 'f1' },
    });
    expect(event.data.details).toEqual({ fulfillmentId: 'f1' });
  });
});
