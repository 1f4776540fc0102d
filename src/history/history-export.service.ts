import { pipeline, Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { stringify } from 'csv-stringify';
import { canonicalJson } from '../common/idempotency/canonical-json';
import { ChainRow, OrderHistoryRepository } from './order-history.repository';
import { HistoryQueryService } from './history-query.service';

/** CSV columns, in order: every stored field, the performer's name and role beside their id. */
export const HISTORY_CSV_COLUMNS = [
  { key: 'id', header: 'id' },
  { key: 'orderId', header: 'orderId' },
  { key: 'sequence', header: 'sequence' },
  { key: 'action', header: 'action' },
  { key: 'oldStatus', header: 'oldStatus' },
  { key: 'newStatus', header: 'newStatus' },
  { key: 'description', header: 'description' },
  { key: 'performedById', header: 'performedById' },
  { key: 'performedByName', header: 'performedByName' },
  { key: 'performedByRole', header: 'performedByRole' },
  { key: 'additionalData', header: 'additionalData' },
  { key: 'ipAddress', header: 'ipAddress' },
  { key: 'userAgent', header: 'userAgent' },
  { key: 'createdAt', header: 'createdAt' },
  { key: 'hash', header: 'hash' },
  { key: 'previousHash', header: 'previousHash' },
] as const;

type CsvRecord = Record<(typeof HISTORY_CSV_COLUMNS)[number]['key'], string | number | null>;

export interface HistoryExport {
  filename: string;
  stream: Readable;
}

/**
 * An order's trail as CSV for auditors, streamed from the database in batches. additionalData is
 * canonical JSON (sorted keys), so that an auditor can recompute each hash from the file; cells
 * that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) are prefixed with '.
 */
@Injectable()
export class HistoryExportService {
  private readonly logger = new Logger(HistoryExportService.name);

  constructor(
    private readonly repository: OrderHistoryRepository,
    private readonly queries: HistoryQueryService,
  ) {}

  async exportCsv(orderId: string): Promise<HistoryExport> {
    const orderNumber = await this.queries.assertOrderExists(orderId);
    const records = Readable.from(this.records(orderId));
    const csv = stringify({
      header: true,
      columns: HISTORY_CSV_COLUMNS.map((column) => ({ ...column })),
      escape_formulas: true,
      record_delimiter: '\r\n',
      // Quote a field holding a bare LF or CR too, not only one holding the record delimiter.
      quote_record_delimiter: true,
    });
    // pipeline destroys both ends on a failure or when the client goes away, ending the reads.
    pipeline(records, csv, (error) => {
      if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.error(`History export of order ${orderId} failed: ${error.message}`);
      }
    });
    return { filename: `${orderNumber.replace(/[^A-Za-z0-9._-]/g, '_')}-history.csv`, stream: csv };
  }

  private async *records(orderId: string): AsyncGenerator<CsvRecord> {
    for await (const batch of this.repository.readChain(orderId, { withPerformer: true })) {
      for (const row of batch) yield toCsvRecord(row);
    }
  }
}

function toCsvRecord(row: ChainRow): CsvRecord {
  return {
    id: row.id,
    orderId: row.order_id,
    sequence: row.sequence,
    action: row.action,
    oldStatus: row.old_status,
    newStatus: row.new_status,
    description: row.description,
    performedById: row.performed_by_id,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createdAt: new Date(row.created_at).toISOString(),
    previousHash: row.previous_hash,
    performedByName: row.performer_full_name ?? null,
    performedByRole: row.performer_role ?? null,
    additionalData: row.additional_data === null ? null : canonicalJson(row.additional_data),
    hash: row.hash,
  };
}
