import { renderSqlSnapshots, staleSqlSnapshots } from '../scripts/sql-snapshot';

describe('docs/sql, the snapshot of the repositories’ SQL', () => {
  it('matches the repositories (run `npm run sql:snapshot` after changing a statement)', () => {
    expect(staleSqlSnapshots()).toEqual([]);
  });

  it('lists each statement under the method that sends it', () => {
    const catalog = renderSqlSnapshots().get('catalog.sql') ?? '';
    expect(catalog).toContain(
      '-- src/catalog/stock-levels.repository.ts: StockLevelsRepository.consume\nupdate stock_levels\n',
    );
  });
});
