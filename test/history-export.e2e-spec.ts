import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createOneItemOrder } from './utils/factories';
import { UnitOfWork } from '../src/common/unit-of-work';
import { RequestContext } from '../src/common/request-context';
import { UserRole } from '../src/identity/user-role.enum';
import { OrderHistoryService } from '../src/history/order-history.service';
import { OrderHistoryAction as A } from '../src/history/order-history-action.enum';
import { HISTORY_CSV_COLUMNS } from '../src/history/history-export.service';

/** RFC 4180 parsing, strict enough to catch bad quoting: quoted fields may hold , " CR LF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i += 1;
        continue;
      }
      field += c;
      i += 1;
      continue;
    }
    if (c === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else if (c === '\n' || c === '\r') {
      throw new Error(`bare line break outside quotes at ${i}`);
    } else {
      field += c;
    }
    i += 1;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || record.length) {
    record.push(field);
    records.push(record);
  }
  return records;
}

const HEADER = HISTORY_CSV_COLUMNS.map((column) => column.header);

describe('history CSV export', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    [admin, support, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.SUPPORT, { fullName: 'Sam, "the" Support' }),
      createUser(app, UserRole.CUSTOMER),
    ]);
  });

  afterAll(async () => {
    await app.close();
  });

  const newOrder = () => createOneItemOrder(app, customer.user);

  async function exportCsv(orderId: string, who: TestUser = admin) {
    const res = await http(app)
      .get(`/api/v1/orders/${orderId}/history/export`)
      .set(who.auth)
      .buffer(true)
      .parse((response, done) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => done(null, text));
      });
    return { res, text: res.body as string };
  }

  it('streams a CSV attachment with a header row and every column, correctly quoted', async () => {
    const order = await newOrder();
    const descriptions = [
      'plain',
      'with, comma',
      'with "quotes"',
      'multi\nline\r\nnote',
      'only\nline feed',
      'only\rcarriage return',
      'trailing space ',
      'Größe 😀',
    ];
    await app.get(UnitOfWork).run('test-export', async () => {
      RequestContext.setActor(support.user.id, support.user.role);
      for (const description of descriptions) {
        await app.get(OrderHistoryService).record({
          order: order.id,
          action: A.EDITED,
          oldStatus: 'pending',
          newStatus: 'pending',
          description,
          additionalData: { z: 'last', a: { text: 'x, "y"\nz' } },
        });
      }
    });

    const { res, text } = await exportCsv(order.id, support);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="${order.orderNumber}-history.csv"`,
    );

    const [header, ...records] = parseCsv(text);
    expect(header).toEqual(HEADER);
    expect(records).toHaveLength(descriptions.length + 1);
    const api = await http(app)
      .get(`/api/v1/orders/${order.id}/history?pageSize=100`)
      .set(admin.auth)
      .expect(200);
    records.forEach((record, index) => {
      const row = Object.fromEntries(HEADER.map((name, i) => [name, record[i]]));
      const entry = api.body.data[index];
      expect(row).toEqual({
        id: entry.id,
        orderId: order.id,
        sequence: String(index + 1),
        action: entry.action,
        oldStatus: entry.oldStatus ?? '',
        newStatus: entry.newStatus ?? '',
        description: entry.description,
        performedById: entry.performedBy?.id ?? '',
        performedByName: entry.performedBy?.fullName ?? '',
        performedByRole: entry.performedBy?.role ?? '',
        additionalData: entry.additionalData ? JSON.stringify(sortedKeys(entry.additionalData)) : '',
        ipAddress: entry.ipAddress ?? '',
        userAgent: entry.userAgent ?? '',
        createdAt: entry.createdAt,
        hash: entry.hash,
        previousHash: entry.previousHash ?? '',
      });
    });
    // The order was placed by a request (from this machine); the entries below by record() alone.
    expect(records.map((r) => r[HEADER.indexOf('ipAddress')])).toEqual([
      '127.0.0.1',
      ...descriptions.map(() => ''),
    ]);
    expect(records.slice(1).map((r) => r[HEADER.indexOf('description')])).toEqual(descriptions);
    expect(records[1][HEADER.indexOf('performedByName')]).toBe('Sam, "the" Support');
    expect(records[1][HEADER.indexOf('additionalData')]).toBe('{"a":{"text":"x, \\"y\\"\\nz"},"z":"last"}');
  });

  it('lets an auditor recompute every hash from the file', async () => {
    const order = await newOrder();
    await app.get(UnitOfWork).run('test-export-audit', async () => {
      RequestContext.setActor(support.user.id, support.user.role);
      await app.get(OrderHistoryService).record({
        order: order.id,
        action: A.PAYMENT_RECEIVED,
        description: 'Payment of 19.99 EUR',
        additionalData: { amount: '19.99', reference: 'PSP-1' },
      });
    });
    const { text } = await exportCsv(order.id);
    const [header, ...records] = parseCsv(text);
    expect(records).toHaveLength(2);
    for (const record of records) {
      const row = Object.fromEntries(header.map((name, i) => [name, record[i]]));
      const orEmpty = (value: string) => (value === '' ? null : value);
      // The file's values alone, through the database's one definition of the hash.
      const [{ hash }] = await sql<{ hash: string }>(
        app,
        `select order_history_hash(?::uuid, ?::uuid, ?::int, ?, ?, ?, ?, ?::uuid, ?::jsonb, ?, ?, ?::timestamptz, ?) as hash`,
        [
          row.id,
          row.orderId,
          Number(row.sequence),
          row.action,
          orEmpty(row.oldStatus),
          orEmpty(row.newStatus),
          row.description,
          orEmpty(row.performedById),
          orEmpty(row.additionalData),
          orEmpty(row.ipAddress),
          orEmpty(row.userAgent),
          row.createdAt,
          orEmpty(row.previousHash),
        ],
      );
      expect(hash).toBe(row.hash);
    }
  });

  it('neutralises spreadsheet formulas (=, +, -, @, tab, CR first) with a leading quote', async () => {
    const order = await newOrder();
    const dangerous = [
      '=HYPERLINK("http://evil.example","click")',
      '+1+1',
      '-2+3',
      '@SUM(A1:A9)',
      '\t=1',
      '\r=1',
    ];
    await app.get(UnitOfWork).run('test-export-formula', async () => {
      for (const description of dangerous) {
        await app.get(OrderHistoryService).record({ order: order.id, action: A.NOTE_ADDED, description });
      }
    });
    const { text } = await exportCsv(order.id);
    const [, , ...records] = parseCsv(text);
    expect(records.map((r) => r[HEADER.indexOf('description')])).toEqual(dangerous.map((d) => `'${d}`));
  });

  it('streams a long trail in chain order across database batches, and verify walks all of it', async () => {
    const order = await newOrder();
    await app.get(UnitOfWork).run('test-export-long', async () => {
      for (let i = 0; i < 2345; i++) {
        await app.get(OrderHistoryService).record({
          order: order.id,
          action: A.INVENTORY_RESERVED,
          description: `line ${i}`,
          additionalData: { i },
        });
      }
    });
    const { text } = await exportCsv(order.id);
    const [, ...records] = parseCsv(text);
    expect(records.map((r) => Number(r[HEADER.indexOf('sequence')]))).toEqual(
      Array.from({ length: 2346 }, (_, i) => i + 1),
    );
    const verify = await http(app)
      .get(`/api/v1/orders/${order.id}/history/verify`)
      .set(admin.auth)
      .expect(200);
    expect(verify.body).toEqual({ valid: true, entries: 2346, firstBrokenEntryId: null });
  });
});

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
