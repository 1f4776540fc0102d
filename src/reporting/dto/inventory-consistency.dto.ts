import { ApiProperty } from '@nestjs/swagger';

export class StockMismatchResponse {
  @ApiProperty({ format: 'uuid' })
  stockLevelId: string;

  @ApiProperty({ example: 7, description: "The stock level's quantity_reserved" })
  counter: number;

  @ApiProperty({ example: 5, description: 'Σ (reserved − fulfilled) over its active reservations' })
  sumOfActive: number;
}

export class ConsistencyResponse {
  @ApiProperty({ example: true })
  consistent: boolean;

  @ApiProperty({ type: [StockMismatchResponse] })
  mismatches: StockMismatchResponse[];
}
