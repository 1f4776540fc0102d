import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentUser, Roles } from '../common/decorators';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Page } from '../common/pagination';
import { UserRole } from '../identity/user-role.enum';
import { FulfillmentQueryService } from './fulfillment-query.service';
import { MyFulfillmentsQueryDto } from './dto/fulfillment.dto';
import { FulfillmentResponse } from './dto/fulfillment-response.dto';
import { MayReadFromReplica } from '../database/read-replicas';

@ApiTags('fulfillment')
@Controller('me/fulfillments')
export class MyFulfillmentsController {
  constructor(private readonly queries: FulfillmentQueryService) {}

  @Get()
  @Roles(UserRole.WAREHOUSE, UserRole.ADMIN)
  @ApiOperation({
    summary: 'My queue: fulfillments assigned to me, open work first (roles: warehouse, admin)',
    description: 'Open (pending, picking, packing, ready_to_ship) oldest first, then the rest newest first.',
  })
  @ApiPageResponse(FulfillmentResponse)
  @ApiProblems(400)
  @MayReadFromReplica()
  async mine(
    @CurrentUser() actor: Actor,
    @Query() query: MyFulfillmentsQueryDto,
  ): Promise<Page<FulfillmentResponse>> {
    return this.queries.byAssignee(actor.id, query);
  }
}
