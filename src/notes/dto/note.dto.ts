import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { UserRole } from '../../identity/user-role.enum';
import { NOTE_MAX_LENGTH } from '../note-rules';
import { MultiLine, Optional } from '../../common/field-decorators';

const queryBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

const NOT_BLANK = /\S/;

export class CreateNoteDto {
  @ApiProperty({
    example: 'Customer called: please leave the parcel with the neighbour.',
    minLength: 1,
    maxLength: NOTE_MAX_LENGTH,
  })
  @IsString()
  @MultiLine()
  @MinLength(1)
  @MaxLength(NOTE_MAX_LENGTH)
  @Matches(NOT_BLANK, { message: 'note must not be blank' })
  note: string;

  @ApiPropertyOptional({
    default: true,
    example: true,
    description: 'Internal notes are for staff only; warehouse staff may only write internal notes',
  })
  @Optional()
  @IsBoolean()
  isInternal: boolean = true;

  @ApiPropertyOptional({
    default: false,
    example: false,
    description: 'Send the note to the customer; only allowed with isInternal: false',
  })
  @Optional()
  @IsBoolean()
  notifyCustomer: boolean = false;
}

export class UpdateNoteDto {
  @ApiPropertyOptional({
    example: 'Parcel to be left with the neighbour at no. 12.',
    minLength: 1,
    maxLength: NOTE_MAX_LENGTH,
  })
  @Optional()
  @IsString()
  @MultiLine()
  @MinLength(1)
  @MaxLength(NOTE_MAX_LENGTH)
  @Matches(NOT_BLANK, { message: 'note must not be blank' })
  note?: string;

  @ApiPropertyOptional({ example: false })
  @Optional()
  @IsBoolean()
  isInternal?: boolean;

  @ApiPropertyOptional({
    example: true,
    description: 'Turning this on for a public note queues a customer notification',
  })
  @Optional()
  @IsBoolean()
  notifyCustomer?: boolean;
}

export class ListNotesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: Boolean, description: 'Only internal (true) or only public (false) notes' })
  @Optional()
  @Transform(queryBoolean)
  @IsBoolean()
  isInternal?: boolean;
}

export class NoteAuthorResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Sam Support' })
  fullName: string;

  @ApiProperty({ enum: UserRole, enumName: 'UserRole', example: UserRole.SUPPORT })
  role: UserRole;
}

/** A note as staff see it. */
export class NoteResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ example: 'Customer called: please leave the parcel with the neighbour.' })
  note: string;

  @ApiProperty({ example: true })
  isInternal: boolean;

  @ApiProperty({ example: false })
  notifyCustomer: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the customer notification for this note was delivered',
  })
  notifiedAt: string | null;

  @ApiProperty({ type: NoteAuthorResponse })
  createdBy: NoteAuthorResponse;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

/** A public note as its customer sees it: no author identity, no flags. */
export class CustomerNoteResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Your parcel will be left with your neighbour.' })
  note: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
