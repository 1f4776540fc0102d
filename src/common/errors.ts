import { HttpStatus } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/** A domain error with a machine-readable code; the problem filter turns it into problem+json. */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(resource: string, id?: string) {
    super(
      HttpStatus.NOT_FOUND,
      'NOT_FOUND',
      id ? `${resource} ${id} was not found` : `${resource} was not found`,
    );
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, extra: Record<string, unknown> = {}, code = 'CONFLICT') {
    super(HttpStatus.CONFLICT, code, message, extra);
  }
}

export class BadRequestError extends DomainError {
  constructor(message: string, errors: FieldError[] = []) {
    super(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', message, errors.length ? { errors } : {});
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this') {
    super(HttpStatus.FORBIDDEN, 'FORBIDDEN', message);
  }
}

export class InvalidTransitionError extends DomainError {
  constructor(entity: string, from: string, to: string, allowed: readonly string[]) {
    super(
      HttpStatus.CONFLICT,
      'INVALID_TRANSITION',
      `${entity} cannot go from ${from} to ${to}` +
        (allowed.length ? `; allowed: ${allowed.join(', ')}` : '; it is final'),
      { from, to, allowed: [...allowed] },
    );
  }
}

export interface StockShortage {
  productVariantId: string;
  stockLocationId?: string;
  orderItemId?: string;
  sku?: string;
  requested: number;
  available: number;
}

export class InsufficientStockError extends DomainError {
  constructor(shortages: StockShortage[]) {
    super(
      HttpStatus.CONFLICT,
      'INSUFFICIENT_STOCK',
      `Not enough stock for ${shortages.length} item${shortages.length === 1 ? '' : 's'}`,
      { shortages },
    );
  }
}
