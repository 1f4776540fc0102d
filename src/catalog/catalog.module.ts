import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ProductVariant } from './product-variant.entity';
import { StockLocation } from './stock-location.entity';
import { StockLevel } from './stock-level.entity';

@Module({
  imports: [MikroOrmModule.forFeature([ProductVariant, StockLocation, StockLevel])],
})
export class CatalogModule {}
