import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { UserRole } from '../identity/user-role.enum';
import { ProblemResponse } from './openapi';

export const IS_PUBLIC_KEY = 'oms:isPublic';
export const ROLES_KEY = 'oms:roles';

/** No token needed (login, health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

export const NO_TRANSACTION_KEY = 'oms:noTransaction';

/**
 * A POST that writes nothing (login): the unit of work runs it like a read, without a transaction,
 * so that slow work in it (password hashing) does not hold a pooled connection idle in a transaction.
 */
export const NoTransaction = () => SetMetadata(NO_TRANSACTION_KEY, true);

/**
 * Who may call the route. No roles listed = any authenticated user. Also documents bearer auth
 * and the 401/403 answers in OpenAPI.
 */
export function Roles(...roles: UserRole[]) {
  const who = roles.length ? roles.join(', ') : 'any authenticated user';
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      description:
        'Missing, invalid, expired or revoked token (a password change or deactivation revokes earlier tokens), ' +
        'or the user is inactive',
      type: ProblemResponse,
    }),
    ApiForbiddenResponse({
      description: `The token's role may not call this (roles: ${who})`,
      type: ProblemResponse,
    }),
    ApiTooManyRequestsResponse({
      description: 'Rate limit exceeded; see Retry-After',
      type: ProblemResponse,
    }),
  );
}

/** The authenticated caller, as the auth guard left it. */
export interface Actor {
  id: string;
  email: string;
  role: UserRole;
}

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return ctx.switchToHttp().getRequest<{ user: Actor }>().user;
});
