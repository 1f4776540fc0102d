import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ApiProblems } from '../common/openapi';
import { UserRole } from '../identity/user-role.enum';
import { DashboardService } from './dashboard.service';
import { AnalyticsService } from './analytics.service';
import {
  AnalyticsQueryDto,
  DashboardSummaryResponse,
  FulfillmentAnalyticsResponse,
  HistoryAnalyticsResponse,
} from './dto/dashboard.dto';
import { MayReadFromReplica } from '../database/read-replicas';

@ApiTags('dashboard')
@Controller('dashboard')
@Roles(UserRole.ADMIN, UserRole.SUPPORT)
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('summary')
  @ApiOperation({
    summary:
      'Orders and fulfillments by status, active and soon-expiring reservations, pending notifications (roles: admin, support)',
  })
  @ApiOkResponse({ type: DashboardSummaryResponse })
  @MayReadFromReplica()
  summary(): Promise<DashboardSummaryResponse> {
    return this.dashboard.summary();
  }
}

@ApiTags('dashboard')
@Controller('analytics')
@Roles(UserRole.ADMIN, UserRole.SUPPORT)
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('fulfillment')
  @ApiOperation({
    summary:
      'Fulfillments shipped per day or week (UTC buckets of shippedAt) and the average seconds per stage (roles: admin, support)',
  })
  @ApiOkResponse({ type: FulfillmentAnalyticsResponse })
  @ApiProblems(400)
  @MayReadFromReplica()
  fulfillment(@Query() query: AnalyticsQueryDto): Promise<FulfillmentAnalyticsResponse> {
    return this.analytics.fulfillment(query);
  }

  @Get('history')
  @ApiOperation({
    summary: 'History entries per action, per day or week (UTC buckets of createdAt) (roles: admin, support)',
  })
  @ApiOkResponse({ type: HistoryAnalyticsResponse })
  @ApiProblems(400)
  @MayReadFromReplica()
  history(@Query() query: AnalyticsQueryDto): Promise<HistoryAnalyticsResponse> {
    return this.analytics.history(query);
  }
}
