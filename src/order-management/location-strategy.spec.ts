import { ItemToPlace, LocationStock, SingleLocationFirstStrategy } from './location-strategy';

const strategy = new SingleLocationFirstStrategy();

const item = (id: string, variant: string, quantity: number): ItemToPlace => ({
  orderItemId: id,
  productVariantId: variant,
  sku: `SKU-${variant}`,
  quantity,
});
const at = (id: string, available: number): LocationStock => ({
  stockLocationId: id,
  code: id.toUpperCase(),
  available,
});

describe('SingleLocationFirstStrategy', () => {
  it('reserves everything at one location when one can serve every item', () => {
    const plan = strategy.plan(
      [item('i1', 'v1', 2), item('i2', 'v2', 3)],
      new Map([
        ['v1', [at('a', 10), at('b', 2)]],
        ['v2', [at('a', 1), at('b', 3)]],
      ]),
    );
    expect(plan).toEqual({
      lines: [
        { orderItemId: 'i1', productVariantId: 'v1', stockLocationId: 'b', quantity: 2 },
        { orderItemId: 'i2', productVariantId: 'v2', stockLocationId: 'b', quantity: 3 },
      ],
      shortages: [],
    });
  });

  it('among several single locations takes the one with most available, then the lowest code', () => {
    const stock = new Map([
      ['v1', [at('a', 5), at('b', 9), at('c', 9)]],
      ['v2', [at('a', 3), at('b', 2), at('c', 2)]],
    ]);
    expect(
      strategy.plan([item('i1', 'v1', 1), item('i2', 'v2', 1)], stock).lines.map((l) => l.stockLocationId),
    ).toEqual(['b', 'b']);
  });

  it('otherwise takes per item the location with most available', () => {
    const plan = strategy.plan(
      [item('i1', 'v1', 4), item('i2', 'v2', 4)],
      new Map([
        ['v1', [at('a', 5), at('b', 3)]],
        ['v2', [at('a', 3), at('b', 6)]],
      ]),
    );
    expect(plan.lines).toEqual([
      { orderItemId: 'i1', productVariantId: 'v1', stockLocationId: 'a', quantity: 4 },
      { orderItemId: 'i2', productVariantId: 'v2', stockLocationId: 'b', quantity: 4 },
    ]);
    expect(plan.shortages).toEqual([]);
  });

  it('splits an item across locations only when no single location has enough', () => {
    const plan = strategy.plan(
      [item('i1', 'v1', 7)],
      new Map([['v1', [at('a', 3), at('b', 5), at('c', 0), at('d', 1)]]]),
    );
    expect(plan.lines).toEqual([
      { orderItemId: 'i1', productVariantId: 'v1', stockLocationId: 'b', quantity: 5 },
      { orderItemId: 'i1', productVariantId: 'v1', stockLocationId: 'a', quantity: 2 },
    ]);
  });

  it('reports every item that all locations together cannot serve', () => {
    const plan = strategy.plan(
      [item('i1', 'v1', 7), item('i2', 'v2', 1), item('i3', 'v3', 2)],
      new Map([
        ['v1', [at('a', 3), at('b', 2)]],
        ['v2', [at('a', 1)]],
      ]),
    );
    expect(plan.shortages).toEqual([
      { productVariantId: 'v1', orderItemId: 'i1', sku: 'SKU-v1', requested: 7, available: 5 },
      { productVariantId: 'v3', orderItemId: 'i3', sku: 'SKU-v3', requested: 2, available: 0 },
    ]);
  });

  it('shares a variant’s stock between items of the same variant', () => {
    const plan = strategy.plan(
      [item('i1', 'v1', 3), item('i2', 'v1', 3)],
      new Map([['v1', [at('a', 4), at('b', 3)]]]),
    );
    expect(plan.lines).toEqual([
      { orderItemId: 'i1', productVariantId: 'v1', stockLocationId: 'a', quantity: 3 },
      { orderItemId: 'i2', productVariantId: 'v1', stockLocationId: 'b', quantity: 3 },
    ]);
  });

  it('plans nothing for no items', () => {
    expect(strategy.plan([], new Map())).toEqual({ lines: [], shortages: [] });
  });
});
