import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { UserRole } from '../identity/user-role.enum';
import { ConsistencyResponse } from './dto/inventory-consistency.dto';
import { InventoryConsistencyService } from './inventory-consistency.service';

@ApiTags('reservations')
@Controller('inventory')
export class InventoryConsistencyController {
  constructor(private readonly consistency: InventoryConsistencyService) {}

  @Get('consistency')
  @Roles(UserRole.ADMIN)
  @ApiOperation({
    summary:
      "Drift report: every stock level's reserved counter against the sum of its active reservations; " +
      'lists the mismatches (roles: admin)',
  })
  @ApiOkResponse({ type: ConsistencyResponse })
  check(): Promise<ConsistencyResponse> {
    return this.consistency.check();
  }
}
