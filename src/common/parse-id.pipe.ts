import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { BadRequestError } from './errors';

/**
 * A path id must be a UUID; anything else is a 400 naming the parameter. Any letter case is taken
 * and passed on lowercase, the one form ids are stored, compared and hashed in (as `@IsId()` does
 * for body and query ids).
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!isUUID(value)) {
      const field = metadata.data ?? 'id';
      throw new BadRequestError(`${field} must be a UUID`, [{ field, message: 'must be a UUID' }]);
    }
    return value.toLowerCase();
  }
}
