import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Page } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { STAFF_ROLES, UserRole } from '../identity/user-role.enum';
import { HistoryQueryService } from './history-query.service';
import { toHistoryEntryResponse } from './history.mapper';
import { HistoryEntryResponse, ListHistoryQueryDto } from './dto/history.dto';
import { MayReadFromReplica } from '../database/read-replicas';

/** The audit trail across orders. Read only: no route changes or deletes history. */
@ApiTags('history')
@Controller('history')
export class HistoryController {
  constructor(private readonly queries: HistoryQueryService) {}

  @Get()
  @Roles(UserRole.ADMIN, UserRole.SUPPORT)
  @ApiOperation({
    summary: 'History entries across orders, oldest first by default (roles: admin, support)',
    description:
      'Filters: `orderId`, `action` (repeatable), `from`, `to`, `performedById`; sort: `createdAt` or `-createdAt`.',
  })
  @ApiPageResponse(HistoryEntryResponse)
  @ApiProblems(400)
  @MayReadFromReplica()
  async list(@Query() query: ListHistoryQueryDto): Promise<Page<HistoryEntryResponse>> {
    const page = await this.queries.list(query);
    return { ...page, data: page.data.map(toHistoryEntryResponse) };
  }

  @Get(':id')
  @Roles(...STAFF_ROLES)
  @ApiOperation({ summary: 'One history entry (roles: admin, support, warehouse)' })
  @ApiOkResponse({ type: HistoryEntryResponse })
  @ApiProblems(400, 404)
  @MayReadFromReplica()
  async get(@Param('id', ParseIdPipe) id: string): Promise<HistoryEntryResponse> {
    return toHistoryEntryResponse(await this.queries.get(id));
  }
}
