import { BadRequestError, ForbiddenError } from '../common/errors';
import type { Actor } from '../common/decorators';
import { UserRole } from '../identity/user-role.enum';

export const NOTE_MAX_LENGTH = 5000;

export interface NoteVisibility {
  isInternal: boolean;
  notifyCustomer: boolean;
}

/**
 * The visibility rules of a note as it will be stored: only a public note can notify the customer
 * (400, the same rule as the table's CHECK), and warehouse staff write internal notes only (403).
 */
export function assertNoteVisibility(visibility: NoteVisibility, role: UserRole): void {
  if (visibility.isInternal && visibility.notifyCustomer) {
    throw new BadRequestError('notifyCustomer is only allowed on a public note (isInternal: false)', [
      {
        field: 'notifyCustomer',
        message: 'must be false for an internal note; set isInternal to false to notify the customer',
      },
    ]);
  }
  if (!visibility.isInternal && role === UserRole.WAREHOUSE) {
    throw new ForbiddenError('Warehouse staff may only write internal notes (isInternal must be true)');
  }
}

/** Only the note's author or an admin may edit or delete it. */
export function assertMayModifyNote(authorId: string, actor: Pick<Actor, 'id' | 'role'>): void {
  if (actor.role !== UserRole.ADMIN && actor.id !== authorId) {
    throw new ForbiddenError('Only the author of a note or an admin may change or delete it');
  }
}
