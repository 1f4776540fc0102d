import { OrderHistoryAction } from '../history/order-history-action.enum';

/**
 * True for the history entries the notes module writes (`note_added`, and `edited` entries that
 * carry a `noteId`: note edits and deletions with the text before and after). They may describe
 * internal notes, so customer-facing projections (the /me timeline) must drop them.
 */
export function isNoteHistoryEntry(entry: {
  action: string;
  additionalData?: Record<string, unknown> | null;
}): boolean {
  if (entry.action === OrderHistoryAction.NOTE_ADDED) return true;
  return (
    entry.action === OrderHistoryAction.EDITED &&
    typeof entry.additionalData === 'object' &&
    entry.additionalData !== null &&
    'noteId' in entry.additionalData
  );
}
