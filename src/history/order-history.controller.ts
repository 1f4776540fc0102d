import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Page } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { STAFF_ROLES, UserRole } from '../identity/user-role.enum';
import { HistoryQueryService } from './history-query.service';
import { HistoryVerifyService } from './history-verify.service';
import { HistoryExportService } from './history-export.service';
import {
  HistoryEntryResponse,
  HistoryVerificationResponse,
  ListOrderHistoryQueryDto,
} from './dto/history.dto';
import { MayReadFromReplica } from '../database/read-replicas';

/** One order's audit trail. Read only: no route changes or deletes history. */
@ApiTags('history')
@Controller('orders/:orderId/history')
export class OrderHistoryController {
  constructor(
    private readonly queries: HistoryQueryService,
    private readonly verifier: HistoryVerifyService,
    private readonly exporter: HistoryExportService,
  ) {}

  @Get()
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary: "An order's history, oldest first by default (roles: admin, support, warehouse)",
    description:
      'Filters: `action` (repeatable), `from`, `to`, `performedById`; sort: `createdAt` or `-createdAt`.',
  })
  @ApiPageResponse(HistoryEntryResponse)
  @ApiProblems(400, 404)
  @MayReadFromReplica()
  list(
    @Param('orderId', ParseIdPipe) orderId: string,
    @Query() query: ListOrderHistoryQueryDto,
  ): Promise<Page<HistoryEntryResponse>> {
    return this.queries.listForOrder(orderId, query);
  }

  @Get('verify')
  @Roles(UserRole.ADMIN)
  @ApiOperation({
    summary: "Recompute an order's hash chain and report where it breaks (roles: admin)",
  })
  @ApiOkResponse({ type: HistoryVerificationResponse })
  @ApiProblems(400, 404)
  verify(@Param('orderId', ParseIdPipe) orderId: string): Promise<HistoryVerificationResponse> {
    return this.verifier.verify(orderId);
  }

  @Get('export')
  @Roles(UserRole.ADMIN, UserRole.SUPPORT)
  @ApiOperation({
    summary: "An order's complete history as a CSV file, for auditors (roles: admin, support)",
    description:
      'One row per entry in chain order, with a header row. `additionalData` is canonical JSON. Cells ' +
      "starting with =, +, -, @, tab or CR are prefixed with ' so that spreadsheets do not run them.",
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'CSV (text/csv), sent as an attachment', schema: { type: 'string' } })
  @ApiProblems(400, 404)
  async export(@Param('orderId', ParseIdPipe) orderId: string): Promise<StreamableFile> {
    const { filename, stream } = await this.exporter.exportCsv(orderId);
    return new StreamableFile(stream, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${filename}"`,
    });
  }
}
