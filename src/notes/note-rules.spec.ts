import { BadRequestError, ForbiddenError } from '../common/errors';
import { UserRole } from '../identity/user-role.enum';
import { assertMayModifyNote, assertNoteVisibility } from './note-rules';

describe('note rules', () => {
  describe('assertNoteVisibility', () => {
    it('refuses notifyCustomer on an internal note, naming the field, for every role', () => {
      for (const role of Object.values(UserRole)) {
        try {
          assertNoteVisibility({ isInternal: true, notifyCustomer: true }, role);
          throw new Error('expected a BadRequestError');
        } catch (error) {
          expect(error).toBeInstanceOf(BadRequestError);
          expect((error as BadRequestError).extra).toEqual({
            errors: [expect.objectContaining({ field: 'notifyCustomer' })],
          });
        }
      }
    });

    it('lets warehouse staff write internal notes only', () => {
      expect(() =>
        assertNoteVisibility({ isInternal: true, notifyCustomer: false }, UserRole.WAREHOUSE),
      ).not.toThrow();
      expect(() =>
        assertNoteVisibility({ isInternal: false, notifyCustomer: false }, UserRole.WAREHOUSE),
      ).toThrow(ForbiddenError);
      expect(() =>
        assertNoteVisibility({ isInternal: false, notifyCustomer: true }, UserRole.WAREHOUSE),
      ).toThrow(/internal notes/);
    });

    it('lets admin and support write public notes that notify', () => {
      for (const role of [UserRole.ADMIN, UserRole.SUPPORT]) {
        expect(() => assertNoteVisibility({ isInternal: false, notifyCustomer: true }, role)).not.toThrow();
        expect(() => assertNoteVisibility({ isInternal: false, notifyCustomer: false }, role)).not.toThrow();
        expect(() => assertNoteVisibility({ isInternal: true, notifyCustomer: false }, role)).not.toThrow();
      }
    });
  });

  describe('assertMayModifyNote', () => {
    it('allows the author whatever their role, and any admin', () => {
      expect(() => assertMayModifyNote('u1', { id: 'u1', role: UserRole.WAREHOUSE })).not.toThrow();
      expect(() => assertMayModifyNote('u1', { id: 'u1', role: UserRole.SUPPORT })).not.toThrow();
      expect(() => assertMayModifyNote('u1', { id: 'u2', role: UserRole.ADMIN })).not.toThrow();
    });

    it('refuses anyone else', () => {
      for (const role of [UserRole.SUPPORT, UserRole.WAREHOUSE, UserRole.CUSTOMER]) {
        expect(() => assertMayModifyNote('u1', { id: 'u2', role })).toThrow(ForbiddenError);
      }
    });
  });
});
