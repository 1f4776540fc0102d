import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { UserRole } from './user-role.enum';

/** What authentication needs to know of a user: kept per instance by AuthStateCache. */
export interface AuthState {
  id: string;
  email: string;
  role: UserRole;
  isActive: boolean;
  tokenVersion: number;
}

/** The statements of the users table that are not entity loads and flushes. */
@Injectable()
export class UsersRepository {
  constructor(private readonly em: EntityManager) {}

  /** One lean statement, no entity hydrated: it runs whenever the auth cache cannot answer. */
  async findAuthState(id: string): Promise<AuthState | null> {
    const [row] = await this.em.execute<
      { id: string; email: string; role: UserRole; is_active: boolean; token_version: number }[]
    >('select id, email, role, is_active, token_version from users where id = ?', [id]);
    return row
      ? {
          id: row.id,
          email: row.email,
          role: row.role,
          isActive: row.is_active,
          tokenVersion: row.token_version,
        }
      : null;
  }

  /** Ids of every active admin, their rows locked in id order (so concurrent callers serialize). */
  async lockActiveAdminIds(): Promise<string[]> {
    const rows = await this.em.execute<{ id: string }[]>(
      'select id from users where role = ? and is_active order by id for update',
      [UserRole.ADMIN],
    );
    return rows.map((row) => row.id);
  }
}
