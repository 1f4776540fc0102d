import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { BadRequestError } from './errors';
import { Optional, SingleLine } from './field-decorators';

export const MAX_PAGE_SIZE = 100;

/** `?page=1&pageSize=20&sort=-createdAt`, shared by every list endpoint. */
export class PageQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 100000,
    default: 1,
    example: 1,
  })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100000)
  page: number = 1;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: 20,
    example: 20,
  })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  pageSize: number = 20;

  @ApiPropertyOptional({
    description: 'Comma-separated fields, `-` for descending; only the fields the endpoint documents',
    example: '-createdAt',
    maxLength: 200,
    pattern: '^-?[A-Za-z]+(,-?[A-Za-z]+)*$',
  })
  @Optional()
  @IsString()
  @SingleLine()
  @MaxLength(200)
  @Matches(/^-?[A-Za-z]+(,-?[A-Za-z]+)*$/, {
    message: 'must be comma-separated field names, each optionally prefixed by -',
  })
  sort?: string;
}

export interface PageMeta {
  page: number;
  pageSize: number;
  total: number;
  totalPages: number;
}

export interface Page<T> {
  data: T[];
  meta: PageMeta;
}

export function toPage<T>(data: T[], total: number, query: Pick<PageQueryDto, 'page' | 'pageSize'>): Page<T> {
  return {
    data,
    meta: {
      page: query.page,
      pageSize: query.pageSize,
      total,
      totalPages: Math.ceil(total / query.pageSize),
    },
  };
}

export type SortDirection = 'asc' | 'desc';

/**
 * Parses `sort` against the endpoint's whitelist (API field → entity property). Unknown fields → 400.
 * Returns an ordered list usable as a MikroORM `orderBy` array; `fallback` applies when sort is absent.
 */
export function parseSort(
  sort: string | undefined,
  allowed: Record<string, string>,
  fallback: string,
): Array<Record<string, SortDirection>> {
  const fields = (sort ?? fallback).split(',').filter(Boolean);
  const unknown = fields.map((f) => f.replace(/^-/, '')).filter((f) => !(f in allowed));
  if (unknown.length > 0) {
    throw new BadRequestError(`Cannot sort by ${unknown.join(', ')}`, [
      { field: 'sort', message: `allowed fields: ${Object.keys(allowed).join(', ')}` },
    ]);
  }
  return fields.map((f) => ({ [allowed[f.replace(/^-/, '')]]: f.startsWith('-') ? 'desc' : 'asc' }));
}

export function offsetOf(query: Pick<PageQueryDto, 'page' | 'pageSize'>): number {
  return (query.page - 1) * query.pageSize;
}
