import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
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
  @ApiOperation({
    summary:
      'Order events, oldest first, from an opaque cursor: following nextCursor yields every event exactly once, also when transactions commit out of order (roles: admin, support)',
  })
  @ApiOkResponse({ type: EventPageResponse })
  @ApiProblems(400)
  list(@Query() query: ListEventsQueryDto): Promise<EventPageResponse> {
    return this.events.list(query);
  }
}
