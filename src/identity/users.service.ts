import { Injectable } from '@nestjs/common';
import { FilterQuery } from '@mikro-orm/core';
import { ConflictError, NotFoundError } from '../common/errors';
import { Page, parseSort } from '../common/pagination';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';
import { UserRole } from './user-role.enum';
import { CreateUserDto, ListUsersQueryDto, UpdateUserDto, UserResponse } from './dto/user.dto';

export function toUserResponse(user: User): UserResponse {
  return {
    id: user.id,
    email: user.email,
    fullName: user.fullName,
    role: user.role,
    isActive: user.isActive,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

const SORTABLE = { createdAt: 'createdAt', email: 'email', fullName: 'fullName', role: 'role' };

@Injectable()
export class UsersService {
  constructor(
    private readonly hasher: PasswordHasher,
    private readonly repository: UsersRepository,
  ) {}

  async create(dto: CreateUserDto): Promise<User> {
    const email = dto.email.trim().toLowerCase();
    if (await this.findByEmail(email)) {
      throw new ConflictError(`A user with email ${email} already exists`);
    }
    const user = new User(email, await this.hasher.hash(dto.password), dto.fullName, dto.role);
    this.repository.add(user);
    return user;
  }

  async get(id: string): Promise<User> {
    const user = await this.repository.findById(id);
    if (!user) throw new NotFoundError('User', id);
    return user;
  }

  /** An active user with one of the roles, or null. */
  findActive(id: string, roles?: readonly UserRole[]): Promise<User | null> {
    return this.repository.findActive(id, roles);
  }

  /** Emails are stored lower-cased; `lower(email)` is what the unique index covers. */
  findByEmail(email: string): Promise<User | null> {
    return this.repository.findByEmail(email.trim().toLowerCase());
  }

  async list(query: ListUsersQueryDto): Promise<Page<User>> {
    const where: FilterQuery<User> = {};
    if (query.role) where.role = query.role;
    if (query.isActive !== undefined) where.isActive = query.isActive;
    return this.repository.page(where, parseSort(query.sort, SORTABLE, '-createdAt'), query);
  }

  async update(id: string, dto: UpdateUserDto): Promise<User> {
    const user = await this.get(id);
    const staysActiveAdmin = (dto.role ?? UserRole.ADMIN) === UserRole.ADMIN && dto.isActive !== false;
    if (!staysActiveAdmin) await this.assertNotLastActiveAdmin(id);
    const deactivated = dto.isActive === false && user.isActive;
    if (dto.fullName !== undefined) user.fullName = dto.fullName;
    if (dto.role !== undefined) user.role = dto.role;
    if (dto.isActive !== undefined) user.isActive = dto.isActive;
    if (dto.password !== undefined) user.passwordHash = await this.hasher.hash(dto.password);
    // A new password, or a deactivation, revokes every token issued before: reactivating the user
    // later does not bring them back (docs/operations.md, "Authentication").
    if (dto.password !== undefined || deactivated) this.repository.revokeTokens(user);
    return user;
  }

  /**
   * 409 when `id` is the only active admin (demoting or deactivating it would lock everyone out).
   * Every active admin row is locked in id order first, so two concurrent demotions of the last
   * two admins serialize: the second sees one admin left and is refused.
   */
  private async assertNotLastActiveAdmin(id: string): Promise<void> {
    const admins = await this.repository.lockActiveAdminIds();
    if (admins.length === 1 && admins[0] === id) {
      throw new ConflictError(
        'This is the last active admin: make another user an active admin before demoting or deactivating it',
      );
    }
  }

  /** Creates the user if no user has that email; used for the first admin of a deployment. */
  async ensure(
    email: string,
    password: string,
    fullName: string,
    role: UserRole,
  ): Promise<{ user: User; created: boolean }> {
    const existing = await this.findByEmail(email);
    if (existing) return { user: existing, created: false };
    const user = new User(email, await this.hasher.hash(password), fullName, role);
    this.repository.add(user);
    return { user, created: true };
  }
}
