export enum UserRole {
  ADMIN = 'admin',
  SUPPORT = 'support',
  WAREHOUSE = 'warehouse',
  CUSTOMER = 'customer',
}

/** Every role that works for the company (everyone but customers). */
export const STAFF_ROLES: readonly UserRole[] = [UserRole.ADMIN, UserRole.SUPPORT, UserRole.WAREHOUSE];
