import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Page } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { STAFF_ROLES, UserRole } from '../identity/user-role.enum';
import { CatalogService, toStockLocationResponse } from './catalog.service';
import {
  CreateStockLocationDto,
  ListStockLocationsQueryDto,
  StockLocationResponse,
  UpdateStockLocationDto,
} from './dto/stock-location.dto';

@ApiTags('catalog')
@Controller('stock-locations')
export class StockLocationsController {
  constructor(private readonly catalog: CatalogService) {}

  @Post()
  @Idempotent()
  @Roles(UserRole.ADMIN)
  @ApiOperation({ summary: 'Create a stock location (roles: admin)' })
  @ApiCreatedResponse({ type: StockLocationResponse })
  @ApiProblems(400, 409)
  async create(@Body() dto: CreateStockLocationDto): Promise<StockLocationResponse> {
    return toStockLocationResponse(await this.catalog.createLocation(dto));
  }

  @Get()
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary: 'List stock locations, filtered by active flag (roles: admin, support, warehouse)',
  })
  @ApiPageResponse(StockLocationResponse)
  @ApiProblems(400)
  async list(@Query() query: ListStockLocationsQueryDto): Promise<Page<StockLocationResponse>> {
    const page = await this.catalog.listLocations(query);
    return { ...page, data: page.data.map(toStockLocationResponse) };
  }

  @Get(':id')
  @Roles(...STAFF_ROLES)
  @ApiOperation({ summary: 'Read a stock location (roles: admin, support, warehouse)' })
  @ApiOkResponse({ type: StockLocationResponse })
  @ApiProblems(400, 404)
  async get(@Param('id', ParseIdPipe) id: string): Promise<StockLocationResponse> {
    return toStockLocationResponse(await this.catalog.getLocation(id));
  }

  @Patch(':id')
  @Roles(UserRole.ADMIN)
  @ApiOperation({ summary: 'Rename a stock location or (de)activate it (roles: admin)' })
  @ApiOkResponse({ type: StockLocationResponse })
  @ApiProblems(400, 404)
  async update(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: UpdateStockLocationDto,
  ): Promise<StockLocationResponse> {
    return toStockLocationResponse(await this.catalog.updateLocation(id, dto));
  }
}
