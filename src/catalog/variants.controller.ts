import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Page } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { STAFF_ROLES, UserRole } from '../identity/user-role.enum';
import { CatalogService, toVariantResponse } from './catalog.service';
import { CreateVariantDto, ListVariantsQueryDto, VariantResponse } from './dto/variant.dto';

@ApiTags('catalog')
@Controller('variants')
export class VariantsController {
  constructor(private readonly catalog: CatalogService) {}

  @Post()
  @Idempotent()
  @Roles(UserRole.ADMIN)
  @ApiOperation({ summary: 'Create a product variant (roles: admin)' })
  @ApiCreatedResponse({ type: VariantResponse })
  @ApiProblems(400, 409)
  async create(@Body() dto: CreateVariantDto): Promise<VariantResponse> {
    return toVariantResponse(await this.catalog.createVariant(dto));
  }

  @Get()
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary: 'List product variants, filtered by SKU or text (roles: admin, support, warehouse)',
  })
  @ApiPageResponse(VariantResponse)
  @ApiProblems(400)
  async list(@Query() query: ListVariantsQueryDto): Promise<Page<VariantResponse>> {
    const page = await this.catalog.listVariants(query);
    return { ...page, data: page.data.map(toVariantResponse) };
  }

  @Get(':id')
  @Roles(...STAFF_ROLES)
  @ApiOperation({ summary: 'Read a product variant (roles: admin, support, warehouse)' })
  @ApiOkResponse({ type: VariantResponse })
  @ApiProblems(400, 404)
  async get(@Param('id', ParseIdPipe) id: string): Promise<VariantResponse> {
    return toVariantResponse(await this.catalog.getVariant(id));
  }
}
