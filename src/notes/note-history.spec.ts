import { OrderHistoryAction } from '../history/order-history-action.enum';
import { isNoteHistoryEntry } from './note-history';

describe('isNoteHistoryEntry', () => {
  it('matches note_added and note edits/deletions', () => {
    expect(isNoteHistoryEntry({ action: OrderHistoryAction.NOTE_ADDED })).toBe(true);
    expect(
      isNoteHistoryEntry({ action: OrderHistoryAction.EDITED, additionalData: { noteId: 'x', before: {} } }),
    ).toBe(true);
  });

  it('leaves other entries alone, order edits included', () => {
    expect(isNoteHistoryEntry({ action: OrderHistoryAction.EDITED, additionalData: { diff: {} } })).toBe(
      false,
    );
    expect(isNoteHistoryEntry({ action: OrderHistoryAction.EDITED, additionalData: null })).toBe(false);
    expect(isNoteHistoryEntry({ action: OrderHistoryAction.SHIPPED })).toBe(false);
  });
});
