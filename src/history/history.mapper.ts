import { OrderHistory } from './order-history.entity';
import { UserRole } from '../identity/user-role.enum';
import { HistoryEntryResponse } from './dto/history.dto';
import { OrderHistoryAction } from './order-history-action.enum';

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

/** A row of `order_history` with its performer's name and role (left join on users). */
export interface HistoryRow {
  id: string;
  order_id: string;
  sequence: number;
  action: OrderHistoryAction;
  old_status: string | null;
  new_status: string | null;
  description: string;
  performed_by_id: string | null;
  performer_full_name: string | null;
  performer_role: UserRole | null;
  additional_data: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date | string;
  hash: string;
  previous_hash: string | null;
}

/** The same response as `toHistoryEntryResponse`, from a raw row. */
export function toHistoryEntryResponseFromRow(row: HistoryRow): HistoryEntryResponse {
  return {
    id: row.id,
    orderId: row.order_id,
    sequence: row.sequence,
    action: row.action,
    oldStatus: row.old_status ?? null,
    newStatus: row.new_status ?? null,
    description: row.description,
    performedBy: row.performed_by_id
      ? {
          id: row.performed_by_id,
          fullName: row.performer_full_name as string,
          role: row.performer_role as UserRole,
        }
      : null,
    additionalData: row.additional_data ?? null,
    ipAddress: row.ip_address ?? null,
    userAgent: row.user_agent ?? null,
    createdAt: new Date(row.created_at).toISOString(),
    hash: row.hash,
    previousHash: row.previous_hash ?? null,
  };
}
