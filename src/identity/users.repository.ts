import { Injectable } from '@nestjs/common';
import { FilterQuery, raw } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, Page, PageQueryDto, toPage } from '../common/pagination';
import { User } from './user.entity';
import { UserRole } from './user-role.enum';

/** What authentication needs to know of a user: kept per instance by AuthStateCache. */
export interface AuthState {
  id: string;
  email: string;
  role: UserRole;
  isActive: boolean;
  tokenVersion: number;
}

/**
 * users: written as entities, through the unit of work's flush (the auth-change subscriber sees
 * every change there and tells the other instances). Besides the entity access, two lean reads.
 */
@Injectable()
export class UsersRepository {
  constructor(private readonly em: EntityManager) {}

  /** Queues a new user for the unit of work's flush. */
  add(user: User): void {
    this.em.persist(user);
  }

  findById(id: string): Promise<User | null> {
    return this.em.findOne(User, { id });
  }

  /** An active user with one of the roles, or null. */
  findActive(id: string, roles?: readonly UserRole[]): Promise<User | null> {
    return this.em.findOne(User, { id, isActive: true, ...(roles ? { role: { $in: [...roles] } } : {}) });
  }

  /** By lower-cased email: `lower(email)` is what the unique index covers. */
  findByEmail(email: string): Promise<User | null> {
    return this.em.findOne(User, { [raw('lower(email)')]: email });
  }

  async page(
    where: FilterQuery<User>,
    orderBy: Record<string, 'asc' | 'desc'>[],
    query: Pick<PageQueryDto, 'page' | 'pageSize'>,
  ): Promise<Page<User>> {
    const [users, total] = await this.em.findAndCount(User, where, {
      orderBy: [...orderBy, { id: 'asc' }],
      limit: query.pageSize,
      offset: offsetOf(query),
    });
    return toPage(users, total, query);
  }

  /**
   * Raises the user's token version at the flush, in SQL, so that two changes at once both count
   * (tokens issued before carry the old version and are refused).
   */
  revokeTokens(user: User): void {
    user.tokenVersion = raw('token_version + 1');
  }

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
