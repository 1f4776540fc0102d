import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { ApiProblems } from '../common/openapi';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { STAFF_ROLES, UserRole } from '../identity/user-role.enum';
import { CatalogService, toAvailabilityResponse, toStockLevelResponse } from './catalog.service';
import {
  AdjustStockLevelDto,
  AvailabilityResponse,
  SetStockLevelDto,
  StockLevelResponse,
} from './dto/stock-level.dto';

@ApiTags('catalog')
@Controller()
export class StockLevelsController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('stock-levels/:variantId/:locationId')
  @Roles(...STAFF_ROLES)
  @ApiOperation({ summary: 'Read the stock of a variant at a location (roles: admin, support, warehouse)' })
  @ApiOkResponse({ type: StockLevelResponse })
  @ApiProblems(400, 404)
  async get(
    @Param('variantId', ParseIdPipe) variantId: string,
    @Param('locationId', ParseIdPipe) locationId: string,
  ): Promise<StockLevelResponse> {
    return toStockLevelResponse(await this.catalog.getStockLevel(variantId, locationId));
  }

  @Put('stock-levels/:variantId/:locationId')
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @ApiOperation({
    summary:
      'Set the on-hand quantity of a variant at a location, creating the stock level if needed; ' +
      'below the reserved quantity → 409 (roles: admin, warehouse)',
  })
  @ApiOkResponse({ type: StockLevelResponse })
  @ApiProblems(400, 404, 409)
  async set(
    @Param('variantId', ParseIdPipe) variantId: string,
    @Param('locationId', ParseIdPipe) locationId: string,
    @Body() dto: SetStockLevelDto,
  ): Promise<StockLevelResponse> {
    return toStockLevelResponse(await this.catalog.setOnHand(variantId, locationId, dto.quantityOnHand));
  }

  @Post('stock-levels/:variantId/:locationId/adjust')
  @HttpCode(200)
  @Idempotent()
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @ApiOperation({
    summary:
      'Add units to (or remove units from) the on-hand quantity; removing more than is unreserved → 409 ' +
      '(roles: admin, warehouse)',
  })
  @ApiOkResponse({ type: StockLevelResponse })
  @ApiProblems(400, 404, 409)
  async adjust(
    @Param('variantId', ParseIdPipe) variantId: string,
    @Param('locationId', ParseIdPipe) locationId: string,
    @Body() dto: AdjustStockLevelDto,
  ): Promise<StockLevelResponse> {
    return toStockLevelResponse(await this.catalog.adjustOnHand(variantId, locationId, dto.delta));
  }

  @Get('inventory/variants/:variantId/availability')
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary:
      'On hand, reserved and available of a variant, in total and per active location (roles: admin, support, warehouse)',
  })
  @ApiOkResponse({ type: AvailabilityResponse })
  @ApiProblems(400, 404)
  async availability(@Param('variantId', ParseIdPipe) variantId: string): Promise<AvailabilityResponse> {
    return toAvailabilityResponse(await this.catalog.availability(variantId));
  }
}
