import { Injectable } from '@nestjs/common';
import { FilterQuery } from '@mikro-orm/core';
import { BadRequestError, ConflictError, NotFoundError } from '../common/errors';
import { Page, parseSort } from '../common/pagination';
import { CatalogRepository } from './catalog.repository';
import { StockLevelRow, StockLevelsRepository } from './stock-levels.repository';
import { ProductVariant } from './product-variant.entity';
import { StockLocation } from './stock-location.entity';
import { CreateVariantDto, ListVariantsQueryDto, VariantResponse } from './dto/variant.dto';
import {
  CreateStockLocationDto,
  ListStockLocationsQueryDto,
  StockLocationResponse,
  UpdateStockLocationDto,
} from './dto/stock-location.dto';
import { AvailabilityResponse, StockLevelResponse } from './dto/stock-level.dto';

/** A stock level as the guarded statements return it. */
export interface StockLevelView {
  id: string;
  productVariantId: string;
  stockLocationId: string;
  quantityOnHand: number;
  quantityReserved: number;
  updatedAt: Date;
}

export interface Availability {
  variantId: string;
  onHand: number;
  reserved: number;
  available: number;
  locations: { stockLocationId: string; code: string; onHand: number; reserved: number; available: number }[];
}

export function toVariantResponse(variant: ProductVariant): VariantResponse {
  return {
    id: variant.id,
    sku: variant.sku,
    name: variant.name,
    createdAt: variant.createdAt.toISOString(),
    updatedAt: variant.updatedAt.toISOString(),
  };
}

export function toStockLocationResponse(location: StockLocation): StockLocationResponse {
  return {
    id: location.id,
    code: location.code,
    name: location.name,
    isActive: location.isActive,
    createdAt: location.createdAt.toISOString(),
    updatedAt: location.updatedAt.toISOString(),
  };
}

export function toStockLevelResponse(level: StockLevelView): StockLevelResponse {
  return {
    id: level.id,
    productVariantId: level.productVariantId,
    stockLocationId: level.stockLocationId,
    quantityOnHand: level.quantityOnHand,
    quantityReserved: level.quantityReserved,
    quantityAvailable: level.quantityOnHand - level.quantityReserved,
    updatedAt: new Date(level.updatedAt).toISOString(),
  };
}

export function toAvailabilityResponse(availability: Availability): AvailabilityResponse {
  return { ...availability, locations: availability.locations.map((location) => ({ ...location })) };
}

function toView(row: StockLevelRow): StockLevelView {
  return {
    id: row.id,
    productVariantId: row.product_variant_id,
    stockLocationId: row.stock_location_id,
    quantityOnHand: row.quantity_on_hand,
    quantityReserved: row.quantity_reserved,
    updatedAt: row.updated_at,
  };
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const VARIANT_SORT = { createdAt: 'createdAt', sku: 'sku', name: 'name' };
const LOCATION_SORT = { code: 'code', name: 'name', createdAt: 'createdAt' };

/**
 * Product variants, stock locations and on-hand quantities. The reserved counter of a stock level
 * belongs to the reservations (see StockLevelsService); on-hand changes here are single guarded
 * statements, so concurrent adjustments never lose an update and never go below what is reserved.
 */
@Injectable()
export class CatalogService {
  constructor(
    private readonly repository: CatalogRepository,
    private readonly stockLevels: StockLevelsRepository,
  ) {}

  async createVariant(dto: CreateVariantDto): Promise<ProductVariant> {
    if (await this.repository.findVariantBySku(dto.sku)) {
      throw new ConflictError(`A variant with SKU ${dto.sku} already exists`);
    }
    const variant = new ProductVariant(dto.sku, dto.name);
    this.repository.add(variant);
    return variant;
  }

  async getVariant(id: string): Promise<ProductVariant> {
    const variant = await this.repository.findVariant(id);
    if (!variant) throw new NotFoundError('Product variant', id);
    return variant;
  }

  /** The variants of `ids` that exist (any order). */
  findVariants(ids: readonly string[]): Promise<ProductVariant[]> {
    return ids.length ? this.repository.findVariants([...new Set(ids)]) : Promise.resolve([]);
  }

  async listVariants(query: ListVariantsQueryDto): Promise<Page<ProductVariant>> {
    const where: FilterQuery<ProductVariant> = {};
    if (query.sku) where.sku = query.sku;
    if (query.q) {
      const pattern = `%${escapeLike(query.q)}%`;
      where.$or = [{ sku: { $ilike: pattern } }, { name: { $ilike: pattern } }];
    }
    return this.repository.pageOfVariants(where, parseSort(query.sort, VARIANT_SORT, 'sku'), query);
  }

  async createLocation(dto: CreateStockLocationDto): Promise<StockLocation> {
    if (await this.repository.findLocationByCode(dto.code)) {
      throw new ConflictError(`A stock location with code ${dto.code} already exists`);
    }
    const location = new StockLocation(dto.code, dto.name);
    this.repository.add(location);
    return location;
  }

  async getLocation(id: string): Promise<StockLocation> {
    const location = await this.repository.findLocation(id);
    if (!location) throw new NotFoundError('Stock location', id);
    return location;
  }

  /** The location with this code (codes are unique and never change), or null. */
  findLocationByCode(code: string): Promise<StockLocation | null> {
    return this.repository.findLocationByCode(code);
  }

  /** The locations of `ids` that exist (any order). */
  findLocations(ids: readonly string[]): Promise<StockLocation[]> {
    return ids.length ? this.repository.findLocations([...new Set(ids)]) : Promise.resolve([]);
  }

  async listLocations(query: ListStockLocationsQueryDto): Promise<Page<StockLocation>> {
    const where: FilterQuery<StockLocation> = {};
    if (query.isActive !== undefined) where.isActive = query.isActive;
    return this.repository.pageOfLocations(where, parseSort(query.sort, LOCATION_SORT, 'code'), query);
  }

  async updateLocation(id: string, dto: UpdateStockLocationDto): Promise<StockLocation> {
    const location = await this.getLocation(id);
    if (dto.name !== undefined) location.name = dto.name;
    if (dto.isActive !== undefined) location.isActive = dto.isActive;
    return location;
  }

  /** On hand, reserved and available of a variant, in total and per active location. */
  async availability(variantId: string): Promise<Availability> {
    await this.getVariant(variantId);
    const levels = await this.repository.activeLevelsOfVariant(variantId);
    const locations = levels
      .map((level) => ({
        stockLocationId: level.stockLocation.id,
        code: level.stockLocation.code,
        onHand: level.quantityOnHand,
        reserved: level.quantityReserved,
        available: level.quantityOnHand - level.quantityReserved,
      }))
      .sort((a, b) => a.code.localeCompare(b.code));
    const onHand = locations.reduce((sum, l) => sum + l.onHand, 0);
    const reserved = locations.reduce((sum, l) => sum + l.reserved, 0);
    return { variantId, onHand, reserved, available: onHand - reserved, locations };
  }

  /** The stock level of a variant at a location, or 404. */
  async getStockLevel(variantId: string, locationId: string): Promise<StockLevelView> {
    const row = await this.stockLevels.find(variantId, locationId);
    if (!row) throw new NotFoundError(`Stock level of variant ${variantId} at location ${locationId}`);
    return toView(row);
  }

  /**
   * Sets the on-hand quantity, creating the stock level when missing. One statement: it refuses
   * (409) to go below what is reserved, however many reservations run at the same time.
   */
  async setOnHand(variantId: string, locationId: string, quantity: number): Promise<StockLevelView> {
    await this.assertExists(variantId, locationId);
    const row = await this.stockLevels.setOnHand(variantId, locationId, quantity);
    if (row) return toView(row);
    const current = await this.getStockLevel(variantId, locationId);
    throw new ConflictError(
      `Cannot set on hand to ${quantity}: ${current.quantityReserved} units are reserved`,
      { quantityReserved: current.quantityReserved, quantityOnHand: current.quantityOnHand },
    );
  }

  /**
   * Adds `delta` (negative: removes) to the on-hand quantity in one guarded statement; a positive
   * delta creates a missing stock level. Removing more than is unreserved → 409.
   */
  async adjustOnHand(variantId: string, locationId: string, delta: number): Promise<StockLevelView> {
    if (!Number.isSafeInteger(delta)) {
      throw new BadRequestError('delta must be an integer', [
        { field: 'delta', message: 'must be an integer' },
      ]);
    }
    await this.assertExists(variantId, locationId);
    if (delta >= 0) {
      return toView(await this.stockLevels.addOnHand(variantId, locationId, delta));
    }
    const row = await this.stockLevels.removeOnHand(variantId, locationId, -delta);
    if (row) return toView(row);
    const current = await this.stockLevels.find(variantId, locationId);
    const unreserved = current ? current.quantity_on_hand - current.quantity_reserved : 0;
    throw new ConflictError(
      `Cannot remove ${-delta} units: only ${unreserved} are on hand and not reserved`,
      {
        quantityOnHand: current?.quantity_on_hand ?? 0,
        quantityReserved: current?.quantity_reserved ?? 0,
      },
    );
  }

  private async assertExists(variantId: string, locationId: string): Promise<void> {
    await this.getVariant(variantId);
    await this.getLocation(locationId);
  }
}
