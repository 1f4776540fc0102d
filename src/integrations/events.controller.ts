import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { MayReadFromReplica } from '../database/read-replicas';
import { ApiProblems } from '../common/openapi';
import { UserRole } from '../identity/user-role.enum';
import { EventsService } from './events.service';
import { EventPageResponse, ListEventsQueryDto } from './dto/event.dto';

@ApiTags('integrations')
@Controller('events')
@Roles(UserRole.ADMIN, UserRole.SUPPORT)
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  // A replica's snapshot is an MVCC snapshot of the primary's transactions as far as it has
  // replayed: the entries below its xmin are final there too, and a replica that has replayed less
  // holds a smaller xmin, so a cursor taken on one server never skips an entry on another.
  @MayReadFromReplica()
  @ApiOperation({
    summary:
      'Order events, oldest first, from an opaque cursor: following nextCursor yields every event exactly once, also when transactions commit out of order (roles: admin, support)',
    description:
      "Start without `after`, then pass each `nextCursor` back as `after`; an empty `data` means you are at the end (keep the cursor and ask again later). Only events whose transaction has ended are handed out, so an event that commits late is never behind a cursor. `data` carries old/new status, performedById and the entry details allowed for its type — never IPs, user agents, note texts or warehouse notes. 503 `EVENT_FEED_IDS_AHEAD`: the stored history carries transaction ids ahead of the database server's (a pg_dump restored into a new cluster); the feed refuses rather than skip events until an operator repairs the server (docs/operations.md §4).",
  })
  @ApiOkResponse({ type: EventPageResponse })
  @ApiProblems(400, 503)
  list(@Query() query: ListEventsQueryDto): Promise<EventPageResponse> {
    return this.events.list(query);
  }
}
