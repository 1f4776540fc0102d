import { Injectable } from '@nestjs/common';
import { HistoryQueryService } from './history-query.service';
import { OrderHistoryRepository } from './order-history.repository';
import { HistoryVerificationResponse } from './dto/history.dto';

/**
 * Recomputes an order's hash chain from the stored rows, in the database, with the same hash
 * definition the entries were written with (OrderHistoryRepository.verify): each entry's hash from
 * its content, each link (previousHash = the hash of the entry before), gap-free sequences from 1,
 * and the chain head kept on the order row. An edited, removed or inserted entry breaks it; so does
 * removing the newest entries (valid: false, and no entry to name: firstBrokenEntryId is null).
 */
@Injectable()
export class HistoryVerifyService {
  constructor(
    private readonly repository: OrderHistoryRepository,
    private readonly queries: HistoryQueryService,
  ) {}

  async verify(orderId: string): Promise<HistoryVerificationResponse> {
    await this.queries.assertOrderExists(orderId);
    const result = await this.repository.verify(orderId);
    return {
      valid: result.first_broken_id === null && result.head_ok,
      entries: result.entries,
      firstBrokenEntryId: result.first_broken_id,
    };
  }
}
