import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Actor, CurrentUser, Roles } from '../common/decorators';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { Page } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { STAFF_ROLES } from '../identity/user-role.enum';
import { NotesService } from './notes.service';
import { toNoteResponse } from './note-response';
import { CreateNoteDto, ListNotesQueryDto, NoteResponse, UpdateNoteDto } from './dto/note.dto';
import { MayReadFromReplica } from '../database/read-replicas';

@ApiTags('notes')
@Controller()
export class NotesController {
  constructor(private readonly notes: NotesService) {}

  @Post('orders/:orderId/notes')
  @Idempotent()
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary:
      'Add a note to an order; a public note may notify the customer (roles: admin, support, warehouse — warehouse: internal notes only)',
  })
  @ApiCreatedResponse({ type: NoteResponse })
  @ApiProblems(400, 404, 422)
  async create(
    @Param('orderId', ParseIdPipe) orderId: string,
    @Body() dto: CreateNoteDto,
    @CurrentUser() actor: Actor,
  ): Promise<NoteResponse> {
    return toNoteResponse(await this.notes.create(orderId, dto, actor));
  }

  @Get('orders/:orderId/notes')
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary:
      'List an order’s notes, newest first; sort: createdAt, updatedAt (roles: admin, support, warehouse)',
  })
  @ApiPageResponse(NoteResponse)
  @ApiProblems(400, 404)
  @MayReadFromReplica()
  async byOrder(
    @Param('orderId', ParseIdPipe) orderId: string,
    @Query() query: ListNotesQueryDto,
  ): Promise<Page<NoteResponse>> {
    const page = await this.notes.byOrder(orderId, query);
    return { ...page, data: page.data.map(toNoteResponse) };
  }

  @Get('notes/:id')
  @Roles(...STAFF_ROLES)
  @ApiOperation({ summary: 'Read a note (roles: admin, support, warehouse)' })
  @ApiOkResponse({ type: NoteResponse })
  @ApiProblems(400, 404)
  async get(@Param('id', ParseIdPipe) id: string): Promise<NoteResponse> {
    return toNoteResponse(await this.notes.get(id));
  }

  @Patch('notes/:id')
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary: 'Change a note’s text or visibility; history keeps the before and after (roles: author, admin)',
  })
  @ApiOkResponse({ type: NoteResponse })
  @ApiProblems(400, 404)
  async update(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: UpdateNoteDto,
    @CurrentUser() actor: Actor,
  ): Promise<NoteResponse> {
    return toNoteResponse(await this.notes.update(id, dto, actor));
  }

  @Delete('notes/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary:
      'Delete a note; history keeps its text, undelivered notifications are withdrawn (roles: author, admin)',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 404)
  async delete(@Param('id', ParseIdPipe) id: string, @CurrentUser() actor: Actor): Promise<void> {
    await this.notes.delete(id, actor);
  }
}
