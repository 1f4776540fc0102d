import { Injectable } from '@nestjs/common';
import { FilterQuery } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, Page, PageQueryDto, toPage } from '../common/pagination';
import { ProductVariant } from './product-variant.entity';
import { StockLocation } from './stock-location.entity';
import { StockLevel } from './stock-level.entity';

type OrderBy = Record<string, 'asc' | 'desc'>[];
type PageQuery = Pick<PageQueryDto, 'page' | 'pageSize'>;

/**
 * product_variants and stock_locations: written as entities, through the unit of work's flush (and
 * only so). stock_levels are written by statements only (StockLevelsRepository); here they are
 * only read.
 */
@Injectable()
export class CatalogRepository {
  constructor(private readonly em: EntityManager) {}

  /** Queues the new variant or location for the unit of work's flush. */
  add(entity: ProductVariant | StockLocation): void {
    this.em.persist(entity);
  }

  findVariant(id: string): Promise<ProductVariant | null> {
    return this.em.findOne(ProductVariant, { id });
  }

  findVariantBySku(sku: string): Promise<ProductVariant | null> {
    return this.em.findOne(ProductVariant, { sku });
  }

  findVariants(ids: readonly string[]): Promise<ProductVariant[]> {
    return this.em.find(ProductVariant, { id: { $in: [...ids] } });
  }

  async pageOfVariants(
    where: FilterQuery<ProductVariant>,
    orderBy: OrderBy,
    query: PageQuery,
  ): Promise<Page<ProductVariant>> {
    const [variants, total] = await this.em.findAndCount(ProductVariant, where, {
      orderBy: [...orderBy, { id: 'asc' }],
      limit: query.pageSize,
      offset: offsetOf(query),
    });
    return toPage(variants, total, query);
  }

  findLocation(id: string): Promise<StockLocation | null> {
    return this.em.findOne(StockLocation, { id });
  }

  findLocationByCode(code: string): Promise<StockLocation | null> {
    return this.em.findOne(StockLocation, { code });
  }

  findLocations(ids: readonly string[]): Promise<StockLocation[]> {
    return this.em.find(StockLocation, { id: { $in: [...ids] } });
  }

  async pageOfLocations(
    where: FilterQuery<StockLocation>,
    orderBy: OrderBy,
    query: PageQuery,
  ): Promise<Page<StockLocation>> {
    const [locations, total] = await this.em.findAndCount(StockLocation, where, {
      orderBy: [...orderBy, { id: 'asc' }],
      limit: query.pageSize,
      offset: offsetOf(query),
    });
    return toPage(locations, total, query);
  }

  /** The variant's stock levels at active locations, with the location, fresh from the database. */
  activeLevelsOfVariant(variantId: string): Promise<StockLevel[]> {
    return this.em.find(
      StockLevel,
      { productVariant: variantId, stockLocation: { isActive: true } },
      { populate: ['stockLocation'], refresh: true },
    );
  }
}
