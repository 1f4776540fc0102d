import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ProductVariant } from './product-variant.entity';
import { StockLocation } from './stock-location.entity';
import { StockLevel } from './stock-level.entity';
import { CatalogService } from './catalog.service';
import { StockLevelsService } from './stock-levels.service';
import { CatalogRepository } from './catalog.repository';
import { StockLevelsRepository } from './stock-levels.repository';
import { VariantsController } from './variants.controller';
import { StockLocationsController } from './stock-locations.controller';
import { StockLevelsController } from './stock-levels.controller';

@Module({
  imports: [MikroOrmModule.forFeature([ProductVariant, StockLocation, StockLevel])],
  controllers: [VariantsController, StockLocationsController, StockLevelsController],
  providers: [CatalogService, StockLevelsService, CatalogRepository, StockLevelsRepository],
  exports: [CatalogService, StockLevelsService],
})
export class CatalogModule {}
