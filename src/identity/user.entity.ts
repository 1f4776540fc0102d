import { Entity, Enum, Index, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';
import { UserRole } from './user-role.enum';

@Entity({ tableName: 'users' })
@Unique({
  name: 'users_email_lower_unique',
  expression: 'create unique index "users_email_lower_unique" on "users" (lower("email"))',
})
@Index({ name: 'users_role_index', properties: ['role'] })
export class User extends BaseEntity {
  @Property({ type: 'varchar', length: 254 })
  email: string;

  @Property({ type: 'varchar', length: 255, hidden: true, lazy: false })
  passwordHash: string;

  @Property({ type: 'varchar', length: 200 })
  fullName: string;

  @Enum({ items: () => UserRole, nativeEnumName: 'user_role' })
  role: UserRole;

  @Property({ type: 'boolean', default: true })
  isActive: boolean = true;

  /**
   * Carried by every token as `ver`; raised by a password change or a deactivation, which refuses
   * every token issued before (JwtStrategy).
   */
  @Property({ type: 'integer', default: 0, hidden: true })
  tokenVersion: number = 0;

  constructor(email: string, passwordHash: string, fullName: string, role: UserRole) {
    super();
    this.email = email.trim().toLowerCase();
    this.passwordHash = passwordHash;
    this.fullName = fullName;
    this.role = role;
  }
}
