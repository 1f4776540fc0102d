import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { hashEntry } from './history-hash';
import { contentOfRow } from './history-content';
import { readChain } from './history-chain-reader';
import { HistoryQueryService } from './history-query.service';
import { HistoryVerificationResponse } from './dto/history.dto';

/**
 * Recomputes an order's hash chain from the stored rows: each entry's hash from its content, each
 * link (previousHash = the hash of the entry before) and gap-free sequences from 1. An edited,
 * removed or inserted entry breaks it. (Removing the newest entries, or rewriting the whole chain,
 * needs the head hash kept elsewhere to be noticed.)
 */
@Injectable()
export class HistoryVerifyService {
  constructor(
    private readonly em: EntityManager,
    private readonly queries: HistoryQueryService,
  ) {}

  async verify(orderId: string): Promise<HistoryVerificationResponse> {
    await this.queries.assertOrderExists(orderId);
    let entries = 0;
    let previousHash: string | null = null;
    let firstBrokenEntryId: string | null = null;
    for await (const batch of readChain(this.em, orderId)) {
      for (const row of batch) {
        entries += 1;
        if (firstBrokenEntryId !== null) continue;
        const intact =
          row.sequence === entries &&
          row.previous_hash === previousHash &&
          !row.created_at_sub_ms &&
          hashEntry(contentOfRow(row)) === row.hash;
        if (!intact) firstBrokenEntryId = row.id;
        previousHash = row.hash;
      }
    }
    return { valid: firstBrokenEntryId === null, entries, firstBrokenEntryId };
  }
}
