import { OrderHistory } from './order-history.entity';
import { HistoryEntryResponse } from './dto/history.dto';

/** An entry as the staff API shows it; `performedBy` must be populated. */
export function toHistoryEntryResponse(entry: OrderHistory): HistoryEntryResponse {
  const performer = entry.performedBy ?? null;
  return {
    id: entry.id,
    orderId: entry.order.id,
    sequence: entry.sequence,
    action: entry.action,
    oldStatus: entry.oldStatus ?? null,
    newStatus: entry.newStatus ?? null,
    description: entry.description,
    performedBy: performer ? { id: performer.id, fullName: performer.fullName, role: performer.role } : null,
    additionalData: entry.additionalData ?? null,
    ipAddress: entry.ipAddress ?? null,
    userAgent: entry.userAgent ?? null,
    createdAt: entry.createdAt.toISOString(),
    hash: entry.hash,
    previousHash: entry.previousHash ?? null,
  };
}
